"""The worker asks a real RDAP service on loopback, through the SSRF guard, and records what
the registry says, at most once a day per domain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from tests.domains.rdap_server import RDAP, RdapServer, domain_answer
from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Site
from veilleur.domains.lookups import refresh_registrations
from veilleur.domains.models import DomainRegistration, RdapBootstrap
from veilleur.plans.models import Plan

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
State = DomainRegistration.State


@pytest.fixture
def rdap() -> Iterator[RdapServer]:
    server = RdapServer()
    with override_settings(
        VEILLEUR_RDAP_BOOTSTRAP_URL=server.url("/dns.json"), VEILLEUR_ALLOW_PRIVATE_TARGETS=True
    ):
        yield server
    server.stop()


def add_site(agency: Agency, url: str, plan: str = "premium", key: str = "www") -> Site:
    client, _ = Client.objects.get_or_create(
        agency=agency,
        key=f"client-{plan}",
        defaults={"name": f"Client {plan}", "plan": Plan.objects.get(agency=agency, key=plan)},
    )
    return Site.objects.create(client=client, key=key, name=url, url=url)


def registration(domain: str) -> DomainRegistration:
    return DomainRegistration.objects.get(domain=domain)


@pytest.mark.django_db
def test_the_expiry_and_registrar_are_read_from_the_registry(agency: Agency, rdap: RdapServer) -> None:
    expires = datetime(2027, 3, 14, 10, 0, tzinfo=UTC)
    rdap.answer("client.test", domain_answer("client.test", expires))
    add_site(agency, "https://www.client.test/")

    assert refresh_registrations(T0).looked_up == ["client.test"]

    found = registration("client.test")
    assert (found.state, found.expires_at, found.registrar, found.error) == (
        State.FOUND,
        expires,
        "Gandi SAS",
        "",
    )
    assert found.checked_at == T0
    assert found.source_url == rdap.url("/rdap/domain/client.test")


@pytest.mark.django_db
def test_only_plans_with_certificate_and_domain_monitoring_are_looked_up(
    agency: Agency, rdap: RdapServer
) -> None:
    rdap.answer("client.test", domain_answer("client.test", T0 + 300 * DAY))
    add_site(agency, "https://client.test/", plan="standard")
    assert not refresh_registrations(T0)
    assert rdap.lookups("client.test") == 0
    assert not DomainRegistration.objects.exists()


@pytest.mark.django_db
def test_a_domain_is_asked_at_most_once_a_day_whatever_the_number_of_sites(
    agency: Agency, rdap: RdapServer
) -> None:
    rdap.answer("client.test", domain_answer("client.test", T0 + 20 * DAY))
    add_site(agency, "https://www.client.test/")
    add_site(agency, "https://shop.client.test/", key="shop")

    refresh_registrations(T0)
    refresh_registrations(T0 + timedelta(hours=23))
    assert rdap.lookups("client.test") == 1
    refresh_registrations(T0 + DAY)
    assert rdap.lookups("client.test") == 2


@pytest.mark.django_db
def test_no_expiration_event_is_not_published_not_an_error(agency: Agency, rdap: RdapServer) -> None:
    rdap.answer("client.test", domain_answer("client.test", None))
    add_site(agency, "https://client.test/")
    refresh_registrations(T0)
    found = registration("client.test")
    assert (found.state, found.expires_at, found.error) == (State.NOT_PUBLISHED, None, "")
    assert found.registrar == "Gandi SAS"


@pytest.mark.django_db
def test_a_tld_without_rdap_service_is_not_published_and_asks_nobody(
    agency: Agency, rdap: RdapServer
) -> None:
    add_site(agency, "https://www.boulangerie.nordic/")
    refresh_registrations(T0)
    found = registration("boulangerie.nordic")
    assert (found.state, found.error, found.source_url) == (State.NOT_PUBLISHED, "", "")
    assert not [hit for hit in rdap.hits if hit.startswith("/rdap/")]


@pytest.mark.django_db
def test_a_404_means_the_registry_does_not_know_the_domain(agency: Agency, rdap: RdapServer) -> None:
    add_site(agency, "https://www.nobody.test/")
    refresh_registrations(T0)
    assert registration("nobody.test").state == State.UNKNOWN_DOMAIN


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2, 3]", "not an RDAP object"),
        (b'{"objectClassName": "entity", "handle": "X"}', "could not be read as an RDAP domain"),
        (b'{"objectClassName": "domain", "events": [{"eventDate": "2027-01-01"}]}', "could not be read"),
        (
            b'{"objectClassName": "domain", "handle": "X", "events": '
            b'[{"eventAction": "expiration", "eventDate": "9999-12-31T00:00:00Z"}]}',
            "not believable",
        ),
    ],
)
@pytest.mark.django_db
def test_garbage_gives_a_clear_error_and_no_facts(
    agency: Agency, rdap: RdapServer, body: bytes, reason: str
) -> None:
    rdap.answer("client.test", body)
    add_site(agency, "https://client.test/")
    assert refresh_registrations(T0).failed == ["client.test"]
    found = registration("client.test")
    assert found.state == State.ERROR
    assert reason in found.error
    assert "Traceback" not in found.error
    assert found.expires_at is None
    assert found.next_check_at == T0 + DAY


@pytest.mark.django_db
def test_a_failed_lookup_keeps_what_the_registry_said_before(agency: Agency, rdap: RdapServer) -> None:
    expires = T0 + 20 * DAY
    rdap.answer("client.test", domain_answer("client.test", expires))
    add_site(agency, "https://client.test/")
    refresh_registrations(T0)
    rdap.answer("client.test", b"Service Unavailable", status=503)
    refresh_registrations(T0 + DAY)
    found = registration("client.test")
    assert (found.state, found.expires_at) == (State.FOUND, expires)
    assert "HTTP 503" in found.error


@pytest.mark.django_db
def test_a_renewal_is_picked_up_the_day_after_the_expected_date(agency: Agency, rdap: RdapServer) -> None:
    expires = T0 + 60 * DAY
    rdap.answer("client.test", domain_answer("client.test", expires))
    add_site(agency, "https://client.test/")
    refresh_registrations(T0)
    # Weekly while far away, and never past the start of the daily window.
    assert registration("client.test").next_check_at == T0 + 7 * DAY

    renewed = expires + 365 * DAY
    now = expires - DAY
    # The registrar renews on the last day; the worker, asking daily by then, sees it.
    refresh_registrations(now)
    assert registration("client.test").expires_at == expires
    rdap.answer("client.test", domain_answer("client.test", renewed))
    refresh_registrations(now + DAY)
    assert registration("client.test").expires_at == renewed


@pytest.mark.django_db
def test_the_registrars_own_service_fills_in_what_a_thin_registry_leaves_out(
    agency: Agency, rdap: RdapServer
) -> None:
    expires = T0 + 200 * DAY
    thin = domain_answer("client.test", expires, registrar="")
    thin["links"] = [{"rel": "related", "href": rdap.url("/registrar/domain/client.test"), "type": RDAP}]
    rdap.answer("client.test", thin)
    rdap.answers["/registrar/domain/client.test"] = (
        200,
        RDAP,
        json.dumps(domain_answer("client.test", expires + DAY, registrar="OVH\r\nSAS")).encode(),
    )
    add_site(agency, "https://client.test/")
    refresh_registrations(T0)
    found = registration("client.test")
    assert found.expires_at == expires  # the registry's date is the authority
    assert found.registrar == "OVH SAS"  # control characters folded away


@pytest.mark.django_db
def test_the_bootstrap_file_is_kept_a_week(agency: Agency, rdap: RdapServer) -> None:
    rdap.answer("client.test", domain_answer("client.test", T0 + 20 * DAY))
    rdap.answer("other.test", domain_answer("other.test", T0 + 20 * DAY))
    add_site(agency, "https://client.test/")
    refresh_registrations(T0)
    add_site(agency, "https://other.test/", key="other")
    refresh_registrations(T0 + DAY)
    assert rdap.hits.count("/dns.json") == 1
    assert RdapBootstrap.objects.get().fetched_at == T0
    refresh_registrations(T0 + 8 * DAY)
    assert rdap.hits.count("/dns.json") == 2


@pytest.mark.django_db
def test_a_bootstrap_that_cannot_be_loaded_is_an_error_of_each_domain(
    agency: Agency, rdap: RdapServer
) -> None:
    rdap.answers["/dns.json"] = (200, "application/json", b"<html>maintenance</html>")
    add_site(agency, "https://client.test/")
    refresh_registrations(T0)
    found = registration("client.test")
    assert found.state == State.ERROR
    assert "bootstrap" in found.error


@override_settings(VEILLEUR_ALLOW_PRIVATE_TARGETS=False)
@pytest.mark.django_db
def test_the_registry_is_asked_through_the_ssrf_guard(agency: Agency) -> None:
    server = RdapServer()
    try:
        with override_settings(VEILLEUR_RDAP_BOOTSTRAP_URL=server.url("/dns.json")):
            add_site(agency, "https://client.test/")
            refresh_registrations(T0)
    finally:
        server.stop()
    assert server.hits == []
    found = registration("client.test")
    assert found.state == State.ERROR
    assert "127.0.0.1" in found.error
