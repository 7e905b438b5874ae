"""The monthly report's certificate section: what was served, renewed, and soon to expire.

Every line is a fact of the client's period: the certificate served at the end of the period (or
now, while it runs) is the one the history shows then; a renewal is listed in the month it was
seen; "expires within 30 days" is counted from that same moment. A host first audited after the
period has no line: nothing was known of it then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from veilleur.certificates.models import CertificateChange, CertificateTarget
from veilleur.clients.models import Client

SOON = timedelta(days=30)


@dataclass(frozen=True)
class Renewal:
    seen_at: datetime
    kind: str  # renewed, new_issuer or replaced
    not_after: datetime


@dataclass(frozen=True)
class CertificateLine:
    site_name: str
    address: str
    issuer: str
    valid_until: datetime
    expired: bool  # at the reference moment
    expires_soon: bool  # within 30 days of the reference moment
    renewals: tuple[Renewal, ...]


def certificate_lines(
    client: Client, start: datetime, end: datetime, now: datetime
) -> tuple[CertificateLine, ...]:
    """The lines of the month ``start``–``end`` for a client whose plan has certificate
    monitoring (none otherwise)."""
    if not client.plan.ssl_monitoring:
        return ()
    reference = min(end, now)
    targets = list(
        CertificateTarget.objects.filter(site__client=client)
        .select_related("site")
        .order_by("site__name", "host")
    )
    changes: dict[int, list[CertificateChange]] = {}
    for change in CertificateChange.objects.filter(target__in=targets, seen_at__lt=reference).order_by(
        "seen_at", "id"
    ):
        changes.setdefault(change.target_id, []).append(change)
    lines = []
    for target in targets:
        seen = changes.get(target.pk, [])
        if not seen:
            continue
        served = seen[-1]
        renewals = tuple(
            Renewal(change.seen_at, change.kind, change.not_after)
            for change in seen
            if start <= change.seen_at < end and change.kind != CertificateChange.Kind.FIRST
        )
        lines.append(
            CertificateLine(
                site_name=target.site.name,
                address=target.host if target.port == 443 else f"{target.host}:{target.port}",
                issuer=served.issuer_cn or served.issuer,
                valid_until=served.not_after,
                expired=served.not_after <= reference,
                expires_soon=reference < served.not_after <= reference + SOON,
                renewals=renewals,
            )
        )
    return tuple(lines)
