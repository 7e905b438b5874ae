"""A site's software as pages, reports and the API show it: what it runs now, and its changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from veilleur.clients.models import Site
from veilleur.cms.models import SoftwareChange, SoftwareCheck


@dataclass(frozen=True)
class SoftwareFacts:
    watched: bool
    product: str = ""
    version: str = ""
    checked_at: datetime | None = None
    error: str = ""
    changes: list[SoftwareChange] = field(default_factory=list)

    def current(self) -> str:
        if not self.product:
            return ""
        return f"{self.product} {self.version}".strip()


def software_facts(site: Site, *, changes: int = 10) -> SoftwareFacts:
    if not site.client.plan.cms_versions:
        return SoftwareFacts(False)
    check = SoftwareCheck.objects.filter(site=site).first()
    recent = list(SoftwareChange.objects.filter(site=site)[:changes])
    if check is None:
        return SoftwareFacts(True, changes=recent)
    return SoftwareFacts(True, check.product, check.version, check.checked_at, check.error, recent)


def changes_between(site: Site, start: datetime, end: datetime) -> list[SoftwareChange]:
    """The changes seen in [start, end), oldest first: what a period's report states."""
    return list(
        SoftwareChange.objects.filter(site=site, detected_at__gte=start, detected_at__lt=end).order_by(
            "detected_at", "id"
        )
    )


def change_in_words(change: SoftwareChange) -> str:
    """ "WordPress 6.8.1 → 6.9 on 12 Nov", in the active language and time zone."""
    day = formats.date_format(timezone.localtime(change.detected_at), "j M")
    now = f"{change.product} {change.version}".strip()
    if not change.previous_product:
        return _("%(software)s seen on %(day)s") % {"software": now, "day": day}
    if change.previous_product == change.product:
        if not change.previous_version:
            return _("%(software)s seen on %(day)s") % {"software": now, "day": day}
        return _("%(product)s %(before)s → %(after)s on %(day)s") % {
            "product": change.product,
            "before": change.previous_version,
            "after": change.version or "?",
            "day": day,
        }
    before = f"{change.previous_product} {change.previous_version}".strip()
    return _("%(before)s → %(after)s on %(day)s") % {"before": before, "after": now, "day": day}
