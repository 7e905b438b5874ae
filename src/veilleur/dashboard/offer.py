"""The offer sheet's content: the agency's plans side by side, one row per thing sold.

Everything comes from the plan rows: a row appears only when at least one plan includes it, and
a cell says what that plan holds ("–" when it does not include it). Rendered in the language
asked for; the same HTML becomes the PDF (WeasyPrint, with the reports' fetcher that loads
nothing from the network).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from veilleur.accounts.models import BusinessCalendar
from veilleur.domain.validators import WEEKDAYS
from veilleur.plans.models import Plan
from veilleur.reports import formatting


@dataclass(frozen=True)
class Cell:
    text: str
    included: bool


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[Cell]


NOT_INCLUDED = "–"


def _feature(label: str, flag: str) -> Callable[[Sequence[Plan]], Row | None]:
    def row(plans: Sequence[Plan]) -> Row | None:
        if not any(getattr(plan, flag) for plan in plans):
            return None
        return Row(
            label,
            [
                Cell(_("Included") if getattr(plan, flag) else NOT_INCLUDED, getattr(plan, flag))
                for plan in plans
            ],
        )

    return row


def price(plan: Plan) -> str:
    low, high = formatting.number(plan.price_min_eur), formatting.number(plan.price_max_eur)
    if plan.price_min_eur == plan.price_max_eur:
        return _("%(price)s EUR / month") % {"price": low}
    return _("%(low)s–%(high)s EUR / month") % {"low": low, "high": high}


def response_commitment(plan: Plan) -> str:
    target = formatting.duration(timedelta(minutes=plan.response_target_minutes))
    if plan.response_calendar == Plan.ResponseCalendar.ALWAYS:
        return _("%(target)s, 24/7") % {"target": target}
    return _("%(target)s, business hours") % {"target": target}


def guarantee(plan: Plan) -> str:
    assert plan.uptime_target_percent is not None
    return _("%(percent)s per month") % {"percent": formatting.percent(Decimal(plan.uptime_target_percent))}


def credits(plan: Plan) -> str:
    steps = sorted(plan.credit_steps(), key=lambda step: step.below_percent, reverse=True)
    return "; ".join(
        _("%(credit)s%% of the fee below %(below)s")
        % {"credit": step.credit_percent, "below": formatting.percent(step.below_percent)}
        for step in steps
    )


def offer_rows(plans: Sequence[Plan]) -> list[Row]:
    rows: list[Row | None] = []
    if any(plan.price_max_eur for plan in plans):
        rows.append(
            Row(
                _("Price"),
                [
                    Cell(price(plan), True) if plan.price_max_eur else Cell(NOT_INCLUDED, False)
                    for plan in plans
                ],
            )
        )
    rows.append(
        Row(
            _("Check interval"),
            [
                Cell(
                    _("every %(interval)s")
                    % {"interval": formatting.duration(timedelta(seconds=plan.check_interval_seconds))},
                    True,
                )
                for plan in plans
            ],
        )
    )
    for label, flag in (
        (_("Email alerts to the agency"), "email_alerts"),
        (_("Monthly uptime report"), "monthly_report"),
        (_("Maintenance log (updates done, shown in reports)"), "maintenance_log"),
        (_("Branded status page on your domain"), "status_page"),
        (_("Client portal"), "client_portal"),
        (_("SSL certificate monitoring"), "ssl_monitoring"),
        (_("Performance monitoring"), "performance_monitoring"),
        (_("Quarterly performance review"), "quarterly_review"),
        (_("CMS versions followed"), "cms_versions"),
    ):
        rows.append(_feature(label, flag)(plans))
    rows.append(Row(_("Response commitment"), [Cell(response_commitment(plan), True) for plan in plans]))
    if any(plan.uptime_target_percent is not None for plan in plans):
        rows.append(
            Row(
                _("Uptime guarantee"),
                [
                    Cell(guarantee(plan), True)
                    if plan.uptime_target_percent is not None
                    else Cell(NOT_INCLUDED, False)
                    for plan in plans
                ],
            )
        )
    if any(plan.service_credits for plan in plans):
        rows.append(
            Row(
                _("Service credits"),
                [
                    Cell(credits(plan), True) if plan.service_credits else Cell(NOT_INCLUDED, False)
                    for plan in plans
                ],
            )
        )
    return [row for row in rows if row is not None]


def opening_hours(calendar: BusinessCalendar | None) -> list[str]:
    """ "Monday–Friday: 09:00–18:00": consecutive days with the same hours told together."""
    if calendar is None:
        return []
    names = {
        "mon": _("Monday"),
        "tue": _("Tuesday"),
        "wed": _("Wednesday"),
        "thu": _("Thursday"),
        "fri": _("Friday"),
        "sat": _("Saturday"),
        "sun": _("Sunday"),
    }
    groups: list[tuple[list[str], list[str]]] = []
    for day in WEEKDAYS:
        hours = list(calendar.weekly_hours.get(day, []))
        if not hours:
            continue
        if groups and groups[-1][1] == hours and WEEKDAYS.index(groups[-1][0][-1]) == WEEKDAYS.index(day) - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], hours))
    lines = []
    for days, hours in groups:
        span = names[days[0]] if len(days) == 1 else f"{names[days[0]]}–{names[days[-1]]}"
        ranges = ", ".join(hour.replace("-", "–") for hour in hours)
        lines.append(_("%(days)s: %(hours)s") % {"days": span, "hours": ranges})
    return lines
