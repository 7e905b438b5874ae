"""The worker's certificate job against real TLS servers on 127.0.0.1: audits, the change
history, and each notice once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import override_settings

from tests.certificates.pki import BackgroundTlsServer, CertPki, issue, make_pki, server_context
from tests.checker.conftest import Driver
from veilleur.certificates.jobs import run_certificate_job
from veilleur.certificates.models import CertificateChange, CertificateNotice, CertificateTarget
from veilleur.checker.probing import HttpProber
from veilleur.monitoring.models import Monitor, MonitorRuntime
from veilleur.notifications.models import OnCallAddress, OutboxMessage
from veilleur.notifications.rendering import render_message


@pytest.fixture
def pki(tmp_path: Path) -> Iterator[CertPki]:
    made = make_pki(tmp_path)
    with override_settings(VEILLEUR_CA_FILE=str(made.ca_file), VEILLEUR_ALLOW_PRIVATE_TARGETS=True):
        yield made


def watched(make_monitor: Callable[..., Monitor], port: int, plan: str = "premium") -> Monitor:
    monitor = make_monitor(plan=plan, url=f"https://127.0.0.1:{port}/")
    OnCallAddress.objects.get_or_create(agency=monitor.agency, email="oncall@atelier.example")
    return monitor


def now() -> datetime:
    return datetime.now(UTC)


def check_once(driver: Driver, pki: CertPki, monitor: Monitor) -> None:
    """One regular check, probed for real: the served certificate lands on the runtime."""
    driver.lease(now())
    MonitorRuntime.objects.filter(pk=monitor.pk).update(due_at=now() - timedelta(seconds=1))
    leased = [item for item in driver.lease(now()) if item.monitor_id == monitor.pk]
    prober = HttpProber(tls_context=pki.client_context(), allow_private=True)
    seen = asyncio.run(prober(leased[0].spec))
    driver.record([(leased[0], seen)], now())


def test_an_audit_records_the_certificate_once(
    pki: CertPki, make_monitor: Callable[..., Monitor], driver: Driver
) -> None:
    leaf = pki.leaf()
    with BackgroundTlsServer(server_context(leaf, [pki.intermediate])) as server:
        monitor = watched(make_monitor, server.port)
        basic = make_monitor(plan="basic", url=f"https://127.0.0.1:{server.port}/")
        report = run_certificate_job(now())
    assert report.audited == 1 and report.notices == 0
    target = CertificateTarget.objects.get()
    assert target.site_id == monitor.site_id and target.site_id != basic.site_id
    assert target.fingerprint_sha256 == leaf.certificate.fingerprint(hashes.SHA256()).hex().upper()
    assert target.key_description == "EC 256" and target.error == ""
    assert {finding["code"] for finding in target.findings} == {"no_ocsp_stapling"}
    assert [change.kind for change in CertificateChange.objects.all()] == ["first"]
    assert not OutboxMessage.objects.exists()
    assert not run_certificate_job(now())  # audited today: nothing to do


def test_a_renewal_mid_watch_is_detected_from_the_checks_and_notified_once(
    pki: CertPki, make_monitor: Callable[..., Monitor], driver: Driver
) -> None:
    first = pki.leaf(lifetime=timedelta(days=30))
    with BackgroundTlsServer(server_context(first, [pki.intermediate])) as server:
        monitor = watched(make_monitor, server.port)
        run_certificate_job(now())
        renewed = pki.leaf(lifetime=timedelta(days=90))
        server.restart(server_context(renewed, [pki.intermediate]))
        assert not run_certificate_job(now())  # nothing says it changed yet
        check_once(driver, pki, monitor)  # the regular check sees another certificate
        report = run_certificate_job(now())
        assert report.audited == 1 and report.notices == 1
        assert not run_certificate_job(now())
        # The next certificate comes from another authority: flagged.
        other_root = issue("Other Root", ca=True, lifetime=timedelta(days=3650))
        stranger = issue("localhost", issuer=other_root)
        server.restart(server_context(stranger, [other_root]))
        check_once(driver, pki, monitor)
        assert not run_certificate_job(now())  # audited within the hour
        CertificateTarget.objects.update(audited_at=now() - timedelta(hours=2))
        report = run_certificate_job(now())
        # Untrusted, it makes the checks fail (the incident alerts) and no fingerprint is read: the
        # failing checks make the audit due, at most hourly; the change is said all the same.
        assert report.notices == 1
    kinds = [change.kind for change in CertificateChange.objects.order_by("seen_at", "id")]
    assert kinds == ["first", "renewed", "new_issuer"]
    mails = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.CERTIFICATE_CHANGED).order_by("id")
    assert [mail.recipient for mail in mails] == ["oncall@atelier.example"] * 2
    renewed_mail, new_issuer_mail = (render_message(mail) for mail in mails)
    assert "renewed" in renewed_mail.subject.lower() or "renouvel" in renewed_mail.subject.lower()
    assert "Other Root" in new_issuer_mail.text


def test_weak_certificates_are_notified_once_per_finding(
    pki: CertPki, make_monitor: Callable[..., Monitor]
) -> None:
    weak = pki.leaf(key=rsa.generate_private_key(65537, 1024), digest=hashes.SHA1())
    with BackgroundTlsServer(server_context(weak, [pki.intermediate], legacy=True)) as server:
        watched(make_monitor, server.port)
        report = run_certificate_job(now())
        CertificateTarget.objects.update(next_audit_at=now())  # audited again: nothing new to say
        again = run_certificate_job(now())
    expected = {"weak_key", "weak_signature", "tls1_0_enabled", "tls1_1_enabled"}
    notices = CertificateNotice.objects.filter(kind="finding")
    assert {notice.facts["code"] for notice in notices} == expected
    assert report.notices == len(expected) and again.audited == 1 and again.notices == 0
    words = render_message(OutboxMessage.objects.filter(certificate_notice__facts__code="weak_key").get())
    assert "RSA 1024" in words.text


def test_a_missing_intermediate_is_notified(pki: CertPki, make_monitor: Callable[..., Monitor]) -> None:
    with BackgroundTlsServer(server_context(pki.leaf())) as server:
        watched(make_monitor, server.port)
        run_certificate_job(now())
    notice = CertificateNotice.objects.get()
    assert notice.facts["code"] == "chain_incomplete"


def test_expiry_warnings_follow_the_plan_once_per_threshold(
    pki: CertPki, make_monitor: Callable[..., Monitor]
) -> None:
    short = pki.leaf(lifetime=timedelta(days=6))
    with BackgroundTlsServer(server_context(short, [pki.intermediate])) as server:
        monitor = watched(make_monitor, server.port)
        start = now()
        run_certificate_job(start)
    not_after = short.certificate.not_valid_after_utc
    # A 6-day certificate: a third of its life left (2 days), then 1 day; the longer ones do not apply.
    assert run_certificate_job(not_after - timedelta(days=2, hours=1)).notices == 0
    assert run_certificate_job(not_after - timedelta(days=1, hours=23)).notices == 1
    assert run_certificate_job(not_after - timedelta(days=1, hours=12)).notices == 0
    assert run_certificate_job(not_after - timedelta(hours=23)).notices == 1
    assert run_certificate_job(not_after - timedelta(hours=1)).notices == 0
    assert run_certificate_job(not_after + timedelta(hours=1)).notices == 0  # expired: the incident says it
    keys = sorted(notice.facts["threshold"] for notice in CertificateNotice.objects.filter(kind="expiry"))
    assert keys == ["days-1", "lifetime"]
    mail = render_message(OutboxMessage.objects.filter(kind="certificate_expiry").first())  # type: ignore[arg-type]
    assert monitor.site.name in mail.subject
    # The plan decides: thresholds are data.
    plan = monitor.site.client.plan
    assert plan.certificate_warning_days == [30, 14, 7, 3, 1]
