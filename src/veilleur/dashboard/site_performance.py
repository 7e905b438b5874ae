"""The site page's performance sections, for plans with performance monitoring: where the time
of the checks goes (a stacked bar per hour or day, and the same figures as a table), and the
lab page metrics of the last 30 days."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from veilleur.clients.models import Site
from veilleur.dashboard.clients_data import CHART_RANGES
from veilleur.history.phases import PhaseBucket, site_phase_buckets
from veilleur.lab.models import LabRun
from veilleur.monitoring.models import Monitor
from veilleur.reports.phase_chart import PhaseColumn, phase_chart

# The site page's ranges (dashboard.clients_data.CHART_RANGES); phases are per day from 7 days on.
PHASE_GRANULARITY = {"24h": "hour", "7d": "day", "30d": "day", "90d": "day"}
PHASE_ORDER = ("dns", "connect", "tls", "ttfb")
LAB_DAYS = 30


def phase_labels() -> list[str]:
    return [_("DNS"), _("connect"), _("TLS"), _("first byte")]


@dataclass(frozen=True)
class PhaseRow:
    label: str
    means: tuple[str, ...]  # formatted, "—" without data
    samples: int


@dataclass(frozen=True)
class PhaseSection:
    chart: SafeString
    rows: list[PhaseRow]
    per_hour: bool


def phase_section(site: Site, monitors: Sequence[Monitor], now: datetime, range_key: str) -> PhaseSection:
    length, _granularity = CHART_RANGES[range_key]
    per_hour = PHASE_GRANULARITY[range_key] == "hour"
    buckets = site_phase_buckets(
        site, now - length, now, "hour" if per_hour else "day", site.client.time_zone, monitors
    )
    zone = ZoneInfo(site.client.time_zone)
    columns, rows = [], []
    for bucket in buckets:
        local = bucket.start.astimezone(zone)
        axis = formats.time_format(local, "H") + "h" if per_hour else formats.date_format(local, "j")
        period = (
            formats.date_format(local, "SHORT_DATETIME_FORMAT")
            if per_hour
            else formats.date_format(local, "DATE_FORMAT")
        )
        means = _means(bucket)
        shown = tuple("—" if mean is None else _ms(mean) for mean in means)
        stacked = tuple(mean or 0.0 for mean in means) if bucket.measured else None
        columns.append(PhaseColumn(axis, _tooltip(period, shown), stacked))
        rows.append(PhaseRow(period, shown, bucket.checks))
    chart = phase_chart(
        columns,
        title=_("Where the response time of %(site)s goes") % {"site": site.name},
        y_label=_("milliseconds"),
        phase_labels=phase_labels(),
        no_data_label=_("No phase timings recorded over this period"),
    )
    return PhaseSection(mark_safe(chart), rows, per_hour)  # phase_chart escapes every text it writes


def _means(bucket: PhaseBucket) -> tuple[float | None, ...]:
    """Each phase's share of a check (a check that skipped a phase counts 0 in it): they stack
    to the mean time to first byte; None for a phase no check went through."""
    return tuple(
        bucket.phases[name].per_check_ms if bucket.phases[name].samples else None for name in PHASE_ORDER
    )


def _ms(value: float) -> str:
    return _("%(ms)s ms") % {"ms": formats.number_format(round(value), 0, use_l10n=True)}


def _tooltip(period: str, shown: tuple[str, ...]) -> str:
    parts = [f"{label} {value}" for label, value in zip(phase_labels(), shown, strict=True)]
    return f"{period}: " + ", ".join(parts)


def recent_lab_runs(site: Site, today: date) -> list[LabRun]:
    """The site's lab rows of the last 30 UTC days, newest first."""
    since = today - timedelta(days=LAB_DAYS - 1)
    return list(LabRun.objects.filter(site=site, day__gte=since).order_by("-day"))
