"""What the pages, the report and the API show of a site's certificates (read side)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from veilleur.accounts.models import Agency
from veilleur.certificates.models import CertificateChange, CertificateTarget
from veilleur.certificates.wording import LEVEL_WORDS, SEVERITY_WORDS, finding_in_words
from veilleur.clients.models import Site
from veilleur.domain.certificates import days_left, expiry_level, expiry_thresholds
from veilleur.plans.models import Plan

# The overview's and the pages' badge classes for each expiry level (colours of the states).
LEVEL_CLASSES = {"ok": "up", "warning": "degraded", "urgent": "down", "expired": "down", "unknown": "no_data"}
RECENT_CHANGES = 10


@dataclass(frozen=True)
class FindingView:
    code: str
    severity: str
    severity_label: str
    words: str


@dataclass(frozen=True)
class Expiry:
    not_after: datetime | None
    days_left: int | None
    level: str  # ok, warning, urgent, expired, or unknown (not audited yet / unreadable)

    @property
    def level_label(self) -> str:
        return str(LEVEL_WORDS.get(self.level, "—"))

    @property
    def css_state(self) -> str:
        return LEVEL_CLASSES[self.level]


@dataclass(frozen=True)
class CertificateView:
    target: CertificateTarget
    expiry: Expiry
    findings: list[FindingView] = field(default_factory=list)
    changes: list[CertificateChange] = field(default_factory=list)

    @property
    def address(self) -> str:
        target = self.target
        return target.host if target.port == 443 else f"{target.host}:{target.port}"

    @property
    def problems(self) -> list[FindingView]:
        return [finding for finding in self.findings if finding.severity != "info"]


def expiry_of(target: CertificateTarget, plan: Plan, now: datetime) -> Expiry:
    if target.not_after is None or target.not_before is None:
        return Expiry(None, None, "unknown")
    thresholds = expiry_thresholds(
        target.not_before, target.not_after, plan.certificate_warning_days, plan.certificate_lifetime_fraction
    )
    return Expiry(
        target.not_after, days_left(target.not_after, now), expiry_level(thresholds, target.not_after, now)
    )


def findings_of(target: CertificateTarget) -> list[FindingView]:
    return [
        FindingView(
            code=str(item.get("code", "")),
            severity=str(item.get("severity", "info")),
            severity_label=str(SEVERITY_WORDS.get(str(item.get("severity")), "")),
            words=finding_in_words(str(item.get("code", "")), item.get("params") or {}),
        )
        for item in target.findings
        if isinstance(item, dict)
    ]


def site_certificates(site: Site, now: datetime) -> list[CertificateView]:
    """The site's watched certificates with findings and recent changes; none when the plan
    does not include certificate monitoring."""
    plan = site.client.plan
    if not plan.ssl_monitoring:
        return []
    return [
        CertificateView(
            target=target,
            expiry=expiry_of(target, plan, now),
            findings=findings_of(target),
            changes=list(target.changes.all()[:RECENT_CHANGES]),
        )
        for target in CertificateTarget.objects.filter(site=site).order_by("host", "port")
    ]


def soonest_expiries(agency: Agency, site_ids: Iterable[int], now: datetime) -> dict[int, Expiry]:
    """For each site with certificate monitoring, its certificate that expires first (one query)."""
    found: dict[int, Expiry] = {}
    targets = CertificateTarget.objects.filter(
        agency=agency, site_id__in=list(site_ids), site__client__plan__ssl_monitoring=True
    ).select_related("site__client__plan")
    for target in targets:
        expiry = expiry_of(target, target.site.client.plan, now)
        current = found.get(target.site_id)
        if current is None or _sooner(expiry, current):
            found[target.site_id] = expiry
    return found


def _sooner(one: Expiry, other: Expiry) -> bool:
    if one.not_after is None:
        return False
    return other.not_after is None or one.not_after < other.not_after


@dataclass(frozen=True)
class ClientCertificate:
    """A certificate as a client reads it: where, until when, and how urgent."""

    address: str
    valid_until: date | None  # in the client's time zone
    days_left: int | None
    level: str


def client_certificates(site: Site, zone: ZoneInfo, now: datetime) -> list[ClientCertificate]:
    return [
        ClientCertificate(
            address=view.address,
            valid_until=view.expiry.not_after.astimezone(zone).date() if view.expiry.not_after else None,
            days_left=view.expiry.days_left,
            level=view.expiry.level,
        )
        for view in site_certificates(site, now)
    ]
