"""The worker's certificate job: which hosts to audit, the audits themselves, and the notices.

Every run (once a minute):

1. targets: one per site and HTTPS host of its monitors, for clients whose plan has certificate
   monitoring; a target whose host served the checks a different certificate than the one last
   audited becomes due at once (and, at most hourly, one whose checks fail on the certificate);
2. audits: due targets (daily, an hour after a failed audit, or at once on a change) are claimed
   with a compare-and-set on ``claimed_until`` and audited together; each result is stored
   only while the claim is still this worker's, in one transaction with its history row and
   notices;
3. expiry warnings: for each audited certificate, the warning due now (domain/certificates.py).

Notices are rows of :class:`CertificateNotice` with a key unique per target (the certificate's
fingerprint and the threshold or finding, or the change), created in the transaction that
writes their outbox rows: any number of workers, and a worker killed at any line, send each once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from veilleur.certificates.models import CertificateChange, CertificateNotice, CertificateTarget
from veilleur.certificates.notices import enqueue_certificate_notice
from veilleur.domain.certificates import (
    CertificateIdentity,
    change_kind,
    due_expiry_warning,
    expiry_thresholds,
)
from veilleur.monitoring.models import Monitor
from veilleur.probes.http import make_tls_context
from veilleur.probes.outcome import ProbeFailure
from veilleur.probes.tls_audit import CertificateAudit, audit_certificate

log = logging.getLogger(__name__)

CERTIFICATE_PERIOD_SECONDS = 60
AUDIT_EVERY = timedelta(days=1)
RETRY_AFTER_FAILURE = timedelta(hours=1)
CLAIM_FOR = timedelta(minutes=5)
AUDITS_PER_RUN = 20
AUDIT_TIMEOUT_SECONDS = 20.0
# Findings worth a notice when they first appear. Expired, wrong-host, self-signed and untrusted
# certificates make the checks fail: the incident alerts, a notice would say it twice. What is
# only information (no stapling, a version that could not be tested) is shown, not sent.
NOTIFIED_FINDINGS = frozenset(
    {"chain_incomplete", "weak_key", "weak_signature", "tls1_0_enabled", "tls1_1_enabled", "revoked"}
)


@dataclass(frozen=True)
class CertificateJobReport:
    audited: int
    failed: int
    notices: int

    def __bool__(self) -> bool:
        return bool(self.audited or self.failed or self.notices)


def run_certificate_job(now: datetime) -> CertificateJobReport:
    sync_targets(now)
    audited, failed, notices = audit_due(now)
    notices += send_expiry_warnings(now)
    return CertificateJobReport(audited, failed, notices)


# --- 1. targets ------------------------------------------------------------------------------


def watched_monitors() -> QuerySet[Monitor]:
    """The monitors whose certificates are watched: HTTPS, not paused, on a plan that has it."""
    return Monitor.objects.filter(
        site__client__plan__ssl_monitoring=True, paused=False, url__istartswith="https://"
    )


def host_and_port(url: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(url)
        return (parts.hostname or "", parts.port or 443) if parts.hostname else None
    except ValueError:
        return None


def watched_targets() -> QuerySet[CertificateTarget]:
    """Targets still watched (a site whose plan lost certificate monitoring keeps its history)."""
    return CertificateTarget.objects.filter(site__client__plan__ssl_monitoring=True)


def sync_targets(now: datetime) -> int:
    """Create the missing targets; make due at once those served another certificate, and those
    whose checks fail on the certificate (no fingerprint can be read then) when their last audit
    is over an hour old. The number of targets created."""
    rows = watched_monitors().values_list(
        "site_id", "agency_id", "url", "runtime__served_certificate_sha256", "runtime__last_error_class"
    )
    wanted: dict[tuple[int, str, int], int] = {}
    served: dict[tuple[int, str, int], set[str]] = {}
    refused: set[tuple[int, str, int]] = set()
    for site_id, agency_id, url, fingerprint, error_class in rows:
        found = host_and_port(url)
        if found is None:
            continue
        key = (site_id, *found)
        wanted[key] = agency_id
        if fingerprint:
            served.setdefault(key, set()).add(fingerprint)
        if (error_class or "").startswith("tls_"):
            refused.add(key)
    existing = {
        (target.site_id, target.host, target.port): target
        for target in CertificateTarget.objects.filter(site_id__in={key[0] for key in wanted})
    }
    missing = [
        CertificateTarget(agency_id=agency_id, site_id=key[0], host=key[1], port=key[2], next_audit_at=now)
        for key, agency_id in wanted.items()
        if key not in existing
    ]
    CertificateTarget.objects.bulk_create(missing, ignore_conflicts=True)
    stale = now - RETRY_AFTER_FAILURE
    changed = [
        target.pk
        for key, target in existing.items()
        if (target.fingerprint_sha256 and served.get(key, set()) - {target.fingerprint_sha256})
        or (key in refused and target.audited_at is not None and target.audited_at < stale)
    ]
    if changed:
        CertificateTarget.objects.filter(pk__in=changed, next_audit_at__gt=now).update(next_audit_at=now)
    return len(missing)


# --- 2. audits -------------------------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def audit_due(now: datetime) -> tuple[int, int, int]:
    """Claim and audit the due targets; (audited, failed, notices)."""
    me = worker_name()
    claimed = _claim(now, me)
    if not claimed:
        return 0, 0, 0
    results = asyncio.run(_audit_all(claimed))
    audited = failed = notices = 0
    for target, result in zip(claimed, results, strict=True):
        if isinstance(result, ProbeFailure):
            failed += _store_failure(target, result, now, me)
        else:
            stored, sent = _store_audit(target, result, now, me)
            audited += stored
            notices += sent
    return audited, failed, notices


def _claim(now: datetime, me: str) -> list[CertificateTarget]:
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    due = watched_targets().filter(free, next_audit_at__lte=now).order_by("next_audit_at")
    claimed = []
    for target in due.select_related("site")[:AUDITS_PER_RUN]:
        won = CertificateTarget.objects.filter(free, pk=target.pk).update(
            claimed_by=me, claimed_until=now + CLAIM_FOR
        )
        if won == 1:
            claimed.append(target)
    return claimed


async def _audit_all(targets: list[CertificateTarget]) -> list[CertificateAudit | ProbeFailure]:
    async def one(target: CertificateTarget) -> CertificateAudit | ProbeFailure:
        try:
            return await audit_certificate(
                target.host,
                target.port,
                tls_context=_tls_context(),
                timeout=AUDIT_TIMEOUT_SECONDS,
                allow_private=settings.VEILLEUR_ALLOW_PRIVATE_TARGETS,
            )
        except ProbeFailure as failure:
            return failure

    return list(await asyncio.gather(*(one(target) for target in targets)))


@functools.cache
def _tls_context_for(ca_file: str) -> ssl.SSLContext:
    return make_tls_context(ca_file or None)


def _tls_context() -> ssl.SSLContext:
    return _tls_context_for(settings.VEILLEUR_CA_FILE)


def _mine(target: CertificateTarget, me: str) -> QuerySet[CertificateTarget]:
    return CertificateTarget.objects.filter(pk=target.pk, claimed_by=me)


def _store_failure(target: CertificateTarget, failure: ProbeFailure, now: datetime, me: str) -> int:
    return _mine(target, me).update(
        audited_at=now,
        error=failure.message[:300],
        next_audit_at=now + RETRY_AFTER_FAILURE,
        claimed_by="",
        claimed_until=None,
    )


def _store_audit(
    target: CertificateTarget, audit: CertificateAudit, now: datetime, me: str
) -> tuple[int, int]:
    info, leaf = audit.certificate, audit.leaf
    with transaction.atomic():
        locked = _mine(target, me).select_for_update().first()
        if locked is None:
            return 0, 0  # the claim expired and another worker took the target: its result stands
        previous = locked.changes.order_by("-seen_at", "-id").first()
        fields = {
            "audited_at": now,
            "error": "",
            "fingerprint_sha256": info.fingerprint_sha256,
            "subject": info.subject,
            "issuer": info.issuer,
            "issuer_cn": info.issuer_cn or "",
            "serial": info.serial[:100],
            "key_description": leaf.key_description if leaf else "",
            "signature_hash": leaf.signature_hash if leaf else "",
            "not_before": info.not_before,
            "not_after": info.not_after,
            "protocol": info.protocol or "",
            "findings": [
                {"code": finding.code, "severity": finding.severity, "params": finding.params}
                for finding in audit.findings
            ],
            "next_audit_at": now + AUDIT_EVERY,
            "claimed_by": "",
            "claimed_until": None,
        }
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
        sent = _record_change(locked, previous, now)
        sent += _finding_notices(locked)
    return 1, sent


def _identity(row: CertificateTarget | CertificateChange) -> CertificateIdentity:
    assert row.not_after is not None
    return CertificateIdentity(row.fingerprint_sha256, row.issuer, row.not_after)


def _record_change(target: CertificateTarget, previous: CertificateChange | None, now: datetime) -> int:
    kind = change_kind(_identity(previous) if previous else None, _identity(target))
    if kind is None:
        return 0
    assert target.not_before is not None and target.not_after is not None
    change = CertificateChange.objects.create(
        agency_id=target.agency_id,
        target=target,
        seen_at=now,
        kind=kind,
        fingerprint_sha256=target.fingerprint_sha256,
        subject=target.subject,
        issuer=target.issuer,
        issuer_cn=target.issuer_cn,
        serial=target.serial,
        key_description=target.key_description,
        not_before=target.not_before,
        not_after=target.not_after,
    )
    if kind == CertificateChange.Kind.FIRST:
        return 0  # nothing changed for anyone: this is where watching began
    facts = {
        "change": kind,
        "previous_issuer": previous.issuer if previous else "",
        "previous_not_after": previous.not_after.isoformat() if previous else "",
    }
    return _notice(target, CertificateNotice.Kind.CHANGED, f"change:{change.pk}", facts, change=change)


def _finding_notices(target: CertificateTarget) -> int:
    sent = 0
    for finding in target.findings:
        if finding["code"] in NOTIFIED_FINDINGS:
            key = f"finding:{target.fingerprint_sha256}:{finding['code']}"
            sent += _notice(target, CertificateNotice.Kind.FINDING, key, dict(finding))
    return sent


def _notice(
    target: CertificateTarget,
    kind: str,
    key: str,
    facts: Mapping[str, object],
    change: CertificateChange | None = None,
) -> int:
    """Decide a notice once (its key unique per target) and write its outbox rows with it."""
    if CertificateNotice.objects.filter(target=target, key=key).exists():
        return 0
    facts = {
        **facts,
        "host": target.host,
        "port": target.port,
        "issuer": target.issuer,
        "not_after": target.not_after.isoformat() if target.not_after else "",
        "fingerprint": target.fingerprint_sha256,
    }
    try:
        with transaction.atomic():
            notice = CertificateNotice.objects.create(
                agency_id=target.agency_id, target=target, change=change, kind=kind, key=key, facts=facts
            )
            enqueue_certificate_notice(notice)
    except IntegrityError:
        return 0  # another worker decided it first
    return 1


# --- 3. expiry warnings ------------------------------------------------------------------------


def send_expiry_warnings(now: datetime) -> int:
    targets = list(
        watched_targets()
        .filter(not_after__gt=now, not_before__isnull=False)
        .select_related("site__client__plan")
    )
    sent_keys: dict[int, set[str]] = {}
    already = CertificateNotice.objects.filter(
        kind=CertificateNotice.Kind.EXPIRY, target__in=[target.pk for target in targets]
    )
    for target_id, key in already.values_list("target_id", "key"):
        sent_keys.setdefault(target_id, set()).add(key)
    return sum(_expiry_warning(target, now, sent_keys.get(target.pk, set())) for target in targets)


def _expiry_warning(target: CertificateTarget, now: datetime, sent_keys: set[str]) -> int:
    assert target.not_before is not None and target.not_after is not None
    plan = target.site.client.plan
    thresholds = expiry_thresholds(
        target.not_before, target.not_after, plan.certificate_warning_days, plan.certificate_lifetime_fraction
    )
    prefix = f"expiry:{target.fingerprint_sha256}:"
    sent = {key.removeprefix(prefix) for key in sent_keys if key.startswith(prefix)}
    due = due_expiry_warning(thresholds, target.not_after, now, sent)
    if due is None:
        return 0
    facts: dict[str, object] = {"threshold": due.key, "left_seconds": due.left // timedelta(seconds=1)}
    return _notice(target, CertificateNotice.Kind.EXPIRY, prefix + due.key, facts)
