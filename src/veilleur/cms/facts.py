"""A site's software as pages, reports and the API show it: what it runs now, and its changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

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
    if not site.client.plan.cms_versions or site.client.demo:  # demo sites are never fetched
        return SoftwareFacts(False)
    check = SoftwareCheck.objects.filter(site=site).first()
    recent = list(SoftwareChange.objects.filter(site=site)[:changes])
    if check is None:
        return SoftwareFacts(True, changes=recent)
    return SoftwareFacts(True, check.product, check.version, check.checked_at, check.error, recent)


class Change(Protocol):
    """A recorded change: the model row, or the plain copy a report keeps."""

    @property
    def product(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def previous_product(self) -> str: ...
    @property
    def previous_version(self) -> str: ...
    @property
    def detected_at(self) -> datetime: ...


@dataclass(frozen=True)
class ChangeRow:
    product: str
    version: str
    previous_product: str
    previous_version: str
    detected_at: datetime


def changes_between(site_ids: list[int], start: datetime, end: datetime) -> dict[int, list[ChangeRow]]:
    """The changes seen in [start, end) per site, oldest first: what a period's report states."""
    found: dict[int, list[ChangeRow]] = {site_id: [] for site_id in site_ids}
    rows = SoftwareChange.objects.filter(site_id__in=site_ids, detected_at__gte=start, detected_at__lt=end)
    for row in rows.order_by("detected_at", "id"):
        found[row.site_id].append(
            ChangeRow(row.product, row.version, row.previous_product, row.previous_version, row.detected_at)
        )
    return found


def change_in_words(change: Change, *, with_day: bool = True) -> str:
    """What changed, as "WordPress 6.8.1 → 6.9 on 12 November" (without the day where a column shows
    it), in the active language and time zone."""
    now = f"{change.product} {change.version}".strip()
    first_sighting = not change.previous_product or (
        change.previous_product == change.product and not change.previous_version
    )
    if first_sighting:
        what = _("%(software)s seen") % {"software": now}
    elif change.previous_product == change.product:
        what = f"{change.product} {change.previous_version} → {change.version or '?'}"
    else:
        what = f"{change.previous_product} {change.previous_version}".strip() + f" → {now}"
    if not with_day:
        return what
    day = formats.date_format(timezone.localtime(change.detected_at), "j F")
    return _("%(change)s on %(day)s") % {"change": what, "day": day}
