"""Domain expiry warnings: once per threshold, through the outbox, to the agency's on-call
addresses, and again after a renewal when the new date comes near."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from tests.notifications.conftest import FakeClock, deliverer
from tests.notifications.mailsink import MailSink
from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Site
from veilleur.domains.models import DomainNotice, DomainRegistration
from veilleur.domains.notices import send_domain_notices
from veilleur.notifications.models import OnCallAddress, OutboxMessage
from veilleur.notifications.rendering import CannotRender, render_message
from veilleur.plans.models import Plan

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ON_CALL = "astreinte@atelier.example"


@pytest.fixture
def site(agency: Agency) -> Site:
    client = Client.objects.create(
        agency=agency,
        key="martin",
        name="Boulangerie Martin",
        plan=Plan.objects.get(agency=agency, key="premium"),
    )
    OnCallAddress.objects.create(agency=agency, email=ON_CALL)
    return Site.objects.create(client=client, key="www", name="Boutique", url="https://www.martin.test/")


@pytest.fixture
def sink() -> Iterator[MailSink]:
    server = MailSink().start()
    yield server
    server.stop()


def found(domain: str, expires_at: datetime) -> DomainRegistration:
    registration, _ = DomainRegistration.objects.update_or_create(
        domain=domain,
        defaults={
            "state": DomainRegistration.State.FOUND,
            "expires_at": expires_at,
            "registrar": "Gandi SAS",
            "checked_at": T0,
        },
    )
    return registration


def thresholds() -> list[int]:
    return sorted(DomainNotice.objects.values_list("threshold_days", flat=True))


@pytest.mark.django_db
def test_each_threshold_is_sent_once(site: Site) -> None:
    expires = T0 + 40 * DAY
    found("martin.test", expires)
    assert send_domain_notices(T0) == 0  # 40 days: before the first threshold
    assert send_domain_notices(expires - 30 * DAY) == 1
    assert send_domain_notices(expires - 29 * DAY) == 0
    assert send_domain_notices(expires - 14 * DAY) == 1
    assert send_domain_notices(expires - 7 * DAY + timedelta(minutes=1)) == 1
    assert send_domain_notices(expires - DAY) == 0
    assert thresholds() == [7, 14, 30]
    rows = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.DOMAIN_EXPIRY)
    assert sorted(rows.values_list("recipient", flat=True)) == [ON_CALL] * 3


@pytest.mark.django_db
def test_a_worker_back_after_a_week_sends_the_latest_warning_only(site: Site) -> None:
    expires = T0 + 10 * DAY
    found("martin.test", expires)
    assert send_domain_notices(expires - 6 * DAY) == 1
    assert thresholds() == [7]


@pytest.mark.django_db
def test_a_renewal_starts_the_thresholds_again(site: Site) -> None:
    expires = T0 + 20 * DAY
    found("martin.test", expires)
    send_domain_notices(T0)
    renewed = expires + 365 * DAY
    found("martin.test", renewed)
    assert send_domain_notices(T0 + DAY) == 0
    assert send_domain_notices(renewed - 30 * DAY) == 1
    assert sorted(DomainNotice.objects.values_list("expires_at", "threshold_days")) == [
        (expires, 30),
        (renewed, 30),
    ]


@pytest.mark.django_db
def test_the_plan_decides_the_thresholds(site: Site) -> None:
    plan = site.client.plan
    plan.domain_warning_days = [60]
    plan.save()
    found("martin.test", T0 + 50 * DAY)
    assert send_domain_notices(T0) == 1
    assert thresholds() == [60]
    plan.domain_warning_days = []
    plan.save()
    found("martin.test", T0 + 20 * DAY)
    assert send_domain_notices(T0) == 0


@pytest.mark.django_db
def test_no_notice_without_certificate_and_domain_monitoring_or_a_published_date(site: Site) -> None:
    registration = found("martin.test", T0 + 5 * DAY)
    registration.state = DomainRegistration.State.NOT_PUBLISHED
    registration.save()
    assert send_domain_notices(T0) == 0
    found("martin.test", T0 + 5 * DAY)
    site.client.plan = Plan.objects.get(agency=site.agency, key="standard")
    site.client.save()
    assert send_domain_notices(T0) == 0


@pytest.mark.django_db(transaction=True)
def test_several_workers_write_each_notice_once(site: Site) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL")
    found("martin.test", T0 + 10 * DAY)
    counts: list[int] = []

    def work() -> None:
        try:
            counts.append(send_domain_notices(T0))
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(counts) == 1
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.DOMAIN_EXPIRY).count() == 1


@pytest.mark.django_db
def test_the_warning_is_delivered_in_the_agency_language_with_the_facts(site: Site, sink: MailSink) -> None:
    expires = datetime(2026, 11, 15, 23, 30, tzinfo=UTC)
    found("martin.test", expires)
    send_domain_notices(expires - 10 * DAY)
    clock = FakeClock()
    deliverer(sink.port, clock).run()
    (mail,) = sink.received
    assert mail.recipients == [ON_CALL]
    assert "martin.test" in mail.subject and "Boulangerie Martin" in mail.subject
    text = mail.message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Gandi SAS" in text
    assert "16 novembre 2026" in text  # the agency's zone (Paris): already the 16th there
    # Sent again by nobody: the row is delivered, and deciding again adds nothing.
    send_domain_notices(expires - 10 * DAY)
    deliverer(sink.port, clock).run()
    assert len(sink.received) == 1


@pytest.mark.django_db
def test_a_notice_whose_site_is_gone_is_not_rendered_nor_sent(site: Site) -> None:
    found("martin.test", T0 + 5 * DAY)
    send_domain_notices(T0)
    row = OutboxMessage.objects.get(kind=OutboxMessage.Kind.DOMAIN_EXPIRY)
    assert "martin.test" in render_message(row).subject
    site.delete()  # its warnings go with it; the outbox row stays, and says why it cannot go
    with pytest.raises(CannotRender, match="no longer exists"):
        render_message(row)
