"""Values that are unique (custom domains, e-mail addresses) are normalised before they are
validated, so a value that differs only in case is refused with a message, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.utils import timezone

from tests.statuspages.test_admin import PAGES, client_with_sites, form_errors, page_form
from veilleur.accounts.models import Agency, StaffUser
from veilleur.clients.models import Contact
from veilleur.notifications.models import OnCallAddress
from veilleur.statuspages.models import StatusPage, Subscription


@pytest.fixture
def signed_in(client: HttpClient, owner: StaffUser) -> HttpClient:
    client.force_login(owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_a_mixed_case_domain_verified_by_another_tenant_is_refused_when_verifying(
    signed_in: HttpClient, agency: Agency, make_agency: Callable[..., Agency]
) -> None:
    rival = client_with_sites(make_agency("other", "Other agency"), "rival")
    StatusPage.objects.create(
        client=rival,
        slug="rival",
        title="Rival",
        custom_domain="status.example.com",
        domain_verified_at=timezone.now(),
    )
    mine = client_with_sites(agency, "boulangerie")

    # A claim proves nothing and blocks nobody: it is stored, pending.
    response = signed_in.post(f"{PAGES}add/", page_form(mine, custom_domain="Status.Example.COM"))
    assert response.status_code == 302, form_errors(response)
    page = StatusPage.objects.get(client=mine)
    assert (page.custom_domain, page.domain_verified_at) == ("status.example.com", None)

    # Verifying it says the domain is taken, without a DNS question and without a 500.
    verified = signed_in.post(
        PAGES, {"action": "verify_domains", "_selected_action": [str(page.pk)]}, follow=True
    )
    assert verified.status_code == 200
    shown = [str(message) for message in verified.context["messages"]]
    assert any("status.example.com is already verified by another status page" in m for m in shown), shown
    assert StatusPage.objects.get(client=mine).domain_verified_at is None


def test_a_mixed_case_domain_is_stored_lower_case(signed_in: HttpClient, agency: Agency) -> None:
    mine = client_with_sites(agency, "boulangerie")
    response = signed_in.post(f"{PAGES}add/", page_form(mine, custom_domain="Status.Boulangerie.Example"))
    assert response.status_code == 302, form_errors(response)
    assert StatusPage.objects.get(client=mine).custom_domain == "status.boulangerie.example"


def test_e_mail_addresses_are_unique_whatever_their_case(agency: Agency, owner: StaffUser) -> None:
    client = client_with_sites(agency, "boulangerie")
    page = StatusPage.objects.create(client=client, slug="boulangerie", title="Boulangerie")
    Contact.objects.create(client=client, email="claire@boulangerie.example")
    Subscription.objects.create(page=page, email="fan@example.com")

    duplicates: list[tuple[object, str]] = [
        (Contact(client=client, email="Claire@Boulangerie.Example"), "email"),
        (Subscription(page=page, agency=agency, email="Fan@Example.com"), "email"),
        (StaffUser(agency=agency, email=owner.email.upper(), password="!"), "email"),
    ]
    for instance, field in duplicates:
        with pytest.raises(ValidationError) as raised:
            instance.full_clean()  # type: ignore[attr-defined]
        assert field in raised.value.message_dict or "__all__" in raised.value.message_dict, instance

    on_call = OnCallAddress(agency=agency, email=" Astreinte@Atelier.Example ")
    on_call.full_clean()
    assert on_call.email == "astreinte@atelier.example"
