"""The staff incident page posts public updates: any staff role may, the first one records when
the client was told, bad input shows the form's errors, another agency's incident is a 404."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.utils import translation

from tests.incidents.test_staff_pages import make_incident
from veilleur.accounts.models import Agency, StaffUser
from veilleur.incidents.models import Incident, IncidentUpdate
from veilleur.incidents.updates import MAX_MESSAGE_LENGTH, post_update
from veilleur.statuspages.models import StatusPage

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def staff_email(role: str) -> str:
    return f"{role}-on-call@atelier.example"


def signed_in_as(agency: Agency, role: str) -> HttpClient:
    user = StaffUser.objects.create_user(
        email=staff_email(role), agency=agency, password="correct horse battery", role=role
    )
    browser = HttpClient()
    browser.force_login(user)
    return browser


@pytest.fixture
def incident(agency: Agency) -> Incident:
    return make_incident(agency, "boulangerie", minutes_ago=20)


@pytest.mark.parametrize("role", ["owner", "admin", "member"])
def test_every_staff_role_posts_and_the_first_update_is_recorded(
    agency: Agency, incident: Incident, role: str
) -> None:
    browser = signed_in_as(agency, role)

    first = browser.post(
        f"/incidents/{incident.pk}/updates",
        {"status": "investigating", "message": "Le site ne répond plus, nous regardons."},
        **ENGLISH,
    )

    assert first.status_code == 302 and first["Location"] == f"/incidents/{incident.pk}/"
    update = IncidentUpdate.objects.get(incident=incident)
    assert (update.status, update.posted_by_label) == ("investigating", staff_email(role))
    incident.refresh_from_db()
    assert incident.first_client_update_at == update.posted_at

    browser.post(f"/incidents/{incident.pk}/updates", {"status": "identified", "message": "Disque plein."})
    told = incident.first_client_update_at
    incident.refresh_from_db()
    assert incident.first_client_update_at == told
    assert IncidentUpdate.objects.filter(incident=incident).count() == 2


def test_the_page_shows_the_updates_in_its_timeline(agency: Agency, incident: Incident) -> None:
    browser = signed_in_as(agency, "member")
    posted = browser.post(
        f"/incidents/{incident.pk}/updates",
        {"status": "monitoring", "message": "Fixed, <b>watching</b>."},
        follow=True,
        **ENGLISH,
    )

    assert posted.status_code == 200
    html = posted.content.decode()
    assert "Public update posted." in html
    assert "Post a public update" in html
    entries = [entry for entry in posted.context["timeline"] if entry.kind == "public_update"]
    assert len(entries) == 1
    assert "Monitoring" in entries[0].text and staff_email("member") in entries[0].text
    assert "Fixed, &lt;b&gt;watching&lt;/b&gt;." in html  # shown as text, never as markup
    kinds = [entry.kind for entry in posted.context["timeline"]]
    assert kinds.index("confirmed") < kinds.index("public_update")


def test_the_form_names_the_status_page_it_feeds(agency: Agency, incident: Incident) -> None:
    browser = signed_in_as(agency, "member")
    without = browser.get(f"/incidents/{incident.pk}/", **ENGLISH).content.decode()
    StatusPage.objects.create(client=incident.monitor.site.client, slug="boulangerie", title="État")

    with_page = browser.get(f"/incidents/{incident.pk}/", **ENGLISH).content.decode()

    assert "This client has no status page" in without
    assert "/s/boulangerie/" in with_page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"status": "fixed", "message": "Done"}, "status"),
        ({"message": "Done"}, "status"),
        ({"status": "resolved", "message": "   "}, "message"),
        ({"status": "resolved"}, "message"),
        ({"status": "resolved", "message": "x" * (MAX_MESSAGE_LENGTH + 1)}, "message"),
        ({"status": "resolved", "message": "nul\x00"}, "message"),
    ],
)
def test_bad_input_shows_the_forms_errors_and_posts_nothing(
    agency: Agency, incident: Incident, data: dict[str, str], field: str
) -> None:
    browser = signed_in_as(agency, "admin")

    response = browser.post(f"/incidents/{incident.pk}/updates", data, **ENGLISH)

    assert response.status_code == 400
    assert field in response.context["update_form"].errors
    assert 'class="errorlist"' in response.content.decode()
    assert not IncidentUpdate.objects.exists()
    incident.refresh_from_db()
    assert incident.first_client_update_at is None


def test_another_agencys_incident_is_a_404(
    agency: Agency, make_agency: Callable[..., Agency], incident: Incident
) -> None:
    theirs = make_incident(make_agency("other", "Other agency"), "theirs", minutes_ago=20)
    browser = signed_in_as(agency, "owner")

    response = browser.post(f"/incidents/{theirs.pk}/updates", {"status": "resolved", "message": "Mine now"})

    assert response.status_code == 404
    assert not IncidentUpdate.objects.exists()


def test_posting_needs_a_signed_in_post(client: HttpClient, incident: Incident) -> None:
    anonymous = client.post(f"/incidents/{incident.pk}/updates", {"status": "resolved", "message": "x"})
    browser = signed_in_as(incident.agency, "member")

    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert browser.get(f"/incidents/{incident.pk}/updates").status_code == 405
    assert not IncidentUpdate.objects.exists()


def test_the_form_is_protected_against_cross_site_posts(owner: StaffUser, incident: Incident) -> None:
    user = owner
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(user)

    forged = browser.post(f"/incidents/{incident.pk}/updates", {"status": "resolved", "message": "x"})

    assert forged.status_code == 403
    assert not IncidentUpdate.objects.exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "unknown status 'fixed' (expected one of: investigating, identified, monitoring, resolved)",
                "the message is empty",
            ],
        ),
        (
            "fr",
            [
                "statut 'fixed' inconnu (attendu : investigating, identified, monitoring, resolved)",
                "le message est vide",
            ],
        ),
    ],
)
def test_a_refused_update_is_explained_in_the_language_it_is_read_in(
    incident: Incident, language: str, expected: list[str]
) -> None:
    with pytest.raises(ValidationError) as refused:
        post_update(incident, "fixed", "  ")
    with translation.override(language):
        assert [
            message for messages in refused.value.message_dict.values() for message in messages
        ] == expected
    assert not IncidentUpdate.objects.exists()
