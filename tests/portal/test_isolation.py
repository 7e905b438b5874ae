"""Isolation is the feature: every portal address and every object id answers only for the
signed-in user's own client; anything else is a 404 (never a 403 that tells it exists)."""

from __future__ import annotations

import pytest
from django.test import Client as Browser
from django.urls import reverse

from tests.portal.conftest import ClientData, World, signed_in
from veilleur.reports.models import Report

PAGES = ["portal-overview", "portal-reports", "portal-plan", "portal-notifications"]


def object_urls(data: ClientData) -> list[str]:
    return [
        reverse("portal-site", args=[data.site.pk]),
        reverse("portal-report", args=[data.report.pk]),
        reverse("portal-report-pdf", args=[data.report.pk]),
    ]


def browsers(world: World) -> dict[str, Browser]:
    staff = Browser()
    staff.force_login(world.staff)
    return {
        "anonymous": Browser(),
        "user A": signed_in(world.user_a),
        "user B": signed_in(world.user_b),
        "revoked": signed_in(world.revoked),
        "staff": staff,
    }


# Whose client each actor may see: the index in world.clients, or None.
OWN = {"anonymous": None, "user A": 0, "user B": 1, "revoked": None, "staff": None}


@pytest.mark.django_db
def test_every_object_answers_only_to_its_own_client(world: World) -> None:
    for actor, browser in browsers(world).items():
        for index, data in enumerate(world.clients):
            for url in object_urls(data):
                response = browser.get(url)
                if OWN[actor] == index:
                    assert response.status_code == 200, (actor, url)
                elif OWN[actor] is None:
                    # Signed out (or no longer allowed): the sign-in page, whether the id exists or not.
                    assert response.status_code == 302, (actor, url)
                    assert response["Location"].startswith(reverse("portal-sign-in")), (actor, url)
                else:
                    assert response.status_code == 404, (actor, url)
        # Ids that exist nowhere answer like another client's.
        for url in ("/portal/sites/999999/", "/portal/reports/999999/", "/portal/reports/999999/pdf"):
            expected = 404 if OWN[actor] is not None else 302
            assert browser.get(url).status_code == expected, (actor, url)


@pytest.mark.django_db
def test_pages_show_only_the_clients_own_data(world: World) -> None:
    for actor, browser in browsers(world).items():
        own = OWN[actor]
        for name in PAGES:
            response = browser.get(reverse(name))
            if own is None:
                assert response.status_code == 302, (actor, name)
                continue
            assert response.status_code == 200, (actor, name)
            text = response.content.decode()
            for index, data in enumerate(world.clients):
                for word in data.secret_words:
                    if index != own:
                        assert word not in text, (actor, name, word)
        if own is not None:
            overview = browser.get(reverse("portal-overview")).content.decode()
            assert world.clients[own].secret_words[0] in overview
            site = browser.get(reverse("portal-site", args=[world.clients[own].site.pk])).content.decode()
            assert world.clients[own].secret_words[1] in site  # the public update


@pytest.mark.django_db
def test_a_client_user_never_reaches_a_staff_or_admin_page(world: World) -> None:
    browser = signed_in(world.user_a)
    for url in (
        "/",
        "/admin/",
        "/incidents/",
        reverse("portal-staff-client-users", args=[world.clients[0].client.pk]),
    ):
        response = browser.get(url)
        assert response.status_code == 302, url
        assert "/portal/" not in response["Location"], url
    assert browser.get("/api/v1/clients").status_code == 401


@pytest.mark.django_db
def test_a_staff_session_gives_no_portal_access_even_beside_a_portal_sign_in(world: World) -> None:
    browser = signed_in(world.user_a)
    browser.force_login(world.staff)  # the same browser signs in to the staff application
    assert browser.get(reverse("portal-overview")).status_code == 302


@pytest.mark.django_db
def test_staff_actions_on_another_agencys_client_answer_404(world: World) -> None:
    staff = Browser()
    staff.force_login(world.staff)
    foreign = world.clients[2].client
    assert staff.get(reverse("portal-staff-client-users", args=[foreign.pk])).status_code == 404
    # A user of this agency addressed under another client's id, and another agency's user.
    mine, theirs = world.user_a, world.user_b
    for client_id, user_id in ((world.clients[1].client.pk, mine.pk), (foreign.pk, mine.pk)):
        for action in ("portal-staff-regenerate", "portal-staff-revoke"):
            assert staff.post(reverse(action, args=[client_id, user_id])).status_code == 404
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is None and theirs.revoked_at is None


@pytest.mark.django_db
def test_a_draft_report_is_not_the_clients_until_it_is_published(world: World) -> None:
    own = world.clients[0]
    Report.objects.filter(pk=own.report.pk).update(state=Report.State.DRAFT, published_at=None)
    browser = signed_in(world.user_a)
    assert browser.get(reverse("portal-report", args=[own.report.pk])).status_code == 404
    assert browser.get(reverse("portal-report-pdf", args=[own.report.pk])).status_code == 404
    listing = browser.get(reverse("portal-reports")).content.decode()
    assert reverse("portal-report", args=[own.report.pk]) not in listing
