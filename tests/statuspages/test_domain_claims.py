"""A custom domain is held by one page only once verified: while pending, any number of pages
may claim it (a claim proves nothing, so a squatter's claim blocks nobody); the first page whose
own TXT token is found holds it, the others are told it is taken, and routing serves only the
verified page. Run on SQLite and on PostgreSQL (the unique index is the database's)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client as HttpClient
from django.utils import timezone, translation

from tests.statuspages.dnsserver import DnsServer
from tests.statuspages.test_domains import create_page, txt_value
from veilleur.accounts.models import Agency
from veilleur.statuspages import domains
from veilleur.statuspages.domains import verify_domain, verify_pending
from veilleur.statuspages.models import StatusPage

DOMAIN = "status.boulangerie.example"
TAKEN = f"{DOMAIN} is already verified by another status page"


@pytest.fixture
def dns_server(settings: Any) -> Iterator[DnsServer]:
    server = DnsServer()
    server.start()
    settings.VEILLEUR_DNS_SERVER = ("127.0.0.1", server.port)
    settings.VEILLEUR_STATUS_HOST = "status.agency.example"
    domains._last_pending_check.clear()
    with translation.override("en"):
        yield server
    domains._last_pending_check.clear()
    server.stop()


@pytest.fixture
def rival(make_agency: Any) -> Agency:
    return make_agency("other", "Other agency")


def verified(page: StatusPage) -> bool:
    return StatusPage.objects.get(pk=page.pk).domain_verified_at is not None


@pytest.mark.django_db
def test_several_pages_may_claim_a_pending_domain(agency: Agency, rival: Agency) -> None:
    owner = create_page(agency, "boulangerie", DOMAIN)
    squatter = create_page(rival, "squat", None)
    squatter.set_custom_domain(DOMAIN.upper())

    squatter.full_clean()  # no "already used" error: nothing is verified yet
    squatter.save()

    assert StatusPage.objects.filter(custom_domain=DOMAIN).count() == 2
    assert owner.domain_token != squatter.domain_token


@pytest.mark.django_db
def test_the_database_holds_one_verified_page_per_domain_whatever_its_case(
    agency: Agency, rival: Agency
) -> None:
    create_page(agency, "boulangerie", DOMAIN, verified=True)
    other = create_page(rival, "squat", "elsewhere.example")

    with pytest.raises(IntegrityError), transaction.atomic():
        # Written around the model's normalisation, as a concurrent or careless writer could.
        StatusPage.objects.filter(pk=other.pk).update(
            custom_domain=DOMAIN.upper(), domain_verified_at=timezone.now()
        )

    other.custom_domain, other.domain_verified_at = DOMAIN, timezone.now()
    with pytest.raises(ValidationError) as raised:
        other.full_clean()
    assert "This domain is already verified by another status page." in raised.value.messages


@pytest.mark.django_db
def test_the_first_page_proved_by_its_own_token_wins(
    agency: Agency, rival: Agency, dns_server: DnsServer
) -> None:
    squatter = create_page(rival, "squat", DOMAIN)
    owner = create_page(agency, "boulangerie", DOMAIN)
    # The domain's owner tried the other agency first and left its record behind.
    dns_server.set_txt(f"_veilleur.{DOMAIN}", txt_value(owner), txt_value(squatter))

    won = verify_domain(owner)
    lost = verify_domain(squatter)

    assert won.ok, won.message
    assert not lost.ok and TAKEN in lost.message
    assert verified(owner) and not verified(squatter)
    # The worker's rounds say the same, without marking the squatter.
    assert verify_pending(timezone.now()) == "1 custom domain(s) checked"
    assert not verified(squatter)


@pytest.mark.django_db
def test_the_worker_verifies_one_page_of_two_claiming_a_domain(
    agency: Agency, rival: Agency, dns_server: DnsServer
) -> None:
    squatter = create_page(rival, "squat", DOMAIN)
    owner = create_page(agency, "boulangerie", DOMAIN)
    dns_server.set_txt(f"_veilleur.{DOMAIN}", txt_value(owner), txt_value(squatter))

    summary = verify_pending(timezone.now())

    assert summary == f"2 custom domain(s) checked, verified: {DOMAIN}"
    assert verified(owner) != verified(squatter)


@pytest.mark.django_db
def test_routing_serves_only_the_verified_page(agency: Agency, rival: Agency, dns_server: DnsServer) -> None:
    cache.clear()
    squatter = create_page(rival, "squat", DOMAIN)
    owner = create_page(agency, "boulangerie", DOMAIN)

    pending = HttpClient().get("/", HTTP_HOST=DOMAIN)
    assert pending.status_code == 400

    dns_server.set_txt(f"_veilleur.{DOMAIN}", txt_value(owner))
    assert verify_domain(owner).ok and not verify_domain(squatter).ok
    served = HttpClient().get("/", HTTP_HOST=DOMAIN.upper())
    assert served.status_code == 200
    body = served.content.decode()
    assert owner.title in body and squatter.title not in body


@pytest.mark.django_db(transaction=True)
def test_two_verifications_at_the_same_moment_leave_one_winner(
    agency: Agency, rival: Agency, dns_server: DnsServer
) -> None:
    """The other verification has marked its page but not committed yet: this one's check sees
    no verified page, then its update waits for the other's and is refused by the unique index."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time: the check and the update cannot interleave")
    first = create_page(rival, "squat", DOMAIN)
    second = create_page(agency, "boulangerie", DOMAIN)
    dns_server.set_txt(f"_veilleur.{DOMAIN}", txt_value(second))
    marked, commit = threading.Event(), threading.Event()

    def verify_first_and_wait() -> None:
        try:
            with transaction.atomic():
                StatusPage.objects.filter(pk=first.pk).update(domain_verified_at=timezone.now())
                marked.set()
                commit.wait(30)
        finally:
            connection.close()

    other = threading.Thread(target=verify_first_and_wait)
    other.start()
    assert marked.wait(30)
    threading.Timer(0.5, commit.set).start()

    check = verify_domain(second)
    other.join(30)

    assert not check.ok and TAKEN in check.message
    assert verified(first) and not verified(second)
