"""The quarterly review as an HTML document and as a PDF, in the client's language.

Each sentence of the summary and each recommendation is worded here from a key and the figures it
carries (``reports.review``, ``domain.recommendations``): nothing is printed without its fact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from veilleur.certificates.wording import change_in_words as certificate_change_in_words
from veilleur.clients.logos import logo_data_uri
from veilleur.clients.models import Client
from veilleur.cms.facts import change_in_words
from veilleur.domain.accounting import DurationStats
from veilleur.domain.contrast import WHITE, readable_text_colour
from veilleur.domain.quarters import Quarter
from veilleur.domain.recommendations import (
    Expiry,
    LatencyShift,
    LongCertificate,
    Recommendation,
    RecurringCause,
    SiteFlakiness,
)
from veilleur.incidents.causes import cause_in_words
from veilleur.reports import charts, formatting
from veilleur.reports.editorial import HIDEABLE_SECTIONS, NO_EDITORIAL_TEXT, EditorialText
from veilleur.reports.pdf import pdf_from_html
from veilleur.reports.render import _category, _incident_view, _phase_words
from veilleur.reports.review import Highlight, QuarterlyReview, SpanFigures, quarterly_review

TEMPLATE = "reports/quarterly.html"


@dataclass(frozen=True)
class Advice:
    rule: str
    advice: str
    evidence: list[str]


@dataclass(frozen=True)
class TrendRow:
    label: str
    values: list[str]  # this quarter, the previous one, the same one last year (shown columns)


def render_html(
    review: QuarterlyReview,
    editorial: EditorialText = NO_EDITORIAL_TEXT,
    language: str | None = None,
    *,
    draft: bool = False,
) -> str:
    """The review's document. ``editorial`` is the agency's text (its introduction in the summary,
    next steps and closing note at the end, the sections it hides left out); a ``draft`` says on
    its first page that the client does not see it yet."""
    with translation.override(language or review.language):
        return render_to_string(TEMPLATE, _context(review, editorial, draft))


def render_pdf(
    review: QuarterlyReview, editorial: EditorialText = NO_EDITORIAL_TEXT, language: str | None = None
) -> bytes:
    return pdf_from_html(render_html(review, editorial, language))


def quarterly_document(
    client: Client, first: date, now: datetime, language: str, editorial: EditorialText, draft: bool
) -> tuple[str, Decimal | None]:
    """The review of the quarter starting ``first`` as HTML in ``language``, and its headline
    uptime: what a stored report keeps (the report mechanics' builder for quarterly reviews)."""
    quarter = Quarter.of(first)
    if first != quarter.first_day:
        raise ValueError(f"a quarter starts on its first day, not on {first:%Y-%m-%d}")
    review = quarterly_review(client, quarter.year, quarter.number, now)
    return render_html(review, editorial, language, draft=draft), review.figures.combined.uptime_percent


def quarter_label(quarter: Quarter) -> str:
    """ "Q4 2026 (October–December 2026)", "T4 2026 (octobre–décembre 2026)"."""
    first, last = quarter.first_day, date(*quarter.months[-1], 1)
    return _("Q%(number)s %(year)s (%(first)s–%(last)s)") % {
        "number": quarter.number,
        "year": quarter.year,
        "first": formats.date_format(first, "F"),
        "last": formatting.month_name(last),
    }


def _context(review: QuarterlyReview, editorial: EditorialText, draft: bool) -> dict[str, Any]:
    target = review.plan.uptime_target_percent
    trend_columns = [(review.quarter, review.figures)]
    for quarter, figures in (
        (review.quarter.previous, review.previous),
        (review.quarter.same_last_year, review.last_year),
    ):
        if figures.has_data:
            trend_columns.append((quarter, figures))
    return {
        "review": review,
        "editorial": editorial,
        "shows": {section: editorial.shows(section) for section in HIDEABLE_SECTIONS},
        "show_performance": review.plan.performance_monitoring and editorial.shows("performance"),
        "draft": draft,
        "logo_src": logo_data_uri(review.agency.logo_url),
        "zone": review.zone,
        "brand_text_colour": readable_text_colour(review.agency.primary_color, (WHITE,)),
        "language": translation.get_language(),
        "quarter_label": quarter_label(review.quarter),
        "short_label": _short(review.quarter),
        "next_quarter_label": quarter_label(review.quarter.following),
        "state": _state_sentence(review),
        "went_well": [_highlight(point, review) for point in review.went_well],
        "went_badly": [_highlight(point, review) for point in review.went_badly],
        "trend_headers": [_short(quarter) for quarter, _figures in trend_columns],
        "trend_rows": _trend_rows(
            [figures for _quarter, figures in trend_columns],
            review.plan.performance_monitoring and editorial.shows("performance"),
        ),
        "uptime_chart": mark_safe(_uptime_chart(review)),  # the charts escape every text they draw
        "outage_chart": mark_safe(_outage_chart(review)),
        "latency_chart": mark_safe(_latency_chart(review)),
        "weekday_chart": mark_safe(_weekday_chart(review)),
        "hour_chart": mark_safe(_hour_chart(review)),
        "causes": [
            (cause_in_words(cause.cause, cause.status_code), cause.outages)
            for cause in review.patterns.causes
        ],
        "longest": [(outage.site, _incident_view(outage.row)) for outage in review.patterns.longest],
        "sites": [(site, [_incident_view(row) for row in site.incidents]) for site in review.sites],
        "tasks": [(task, _category(task.category)) for task in review.tasks],
        "has_windows": any(site.windows for site in review.sites),
        "certificates": [
            (site.site, line, [(day, certificate_change_in_words(kind)) for day, kind in line.changes])
            for site in review.watch
            for line in site.certificates
        ],
        "domains": [site for site in review.watch if site.domain_until],
        "software": [
            (
                site,
                [
                    (
                        change.detected_at.astimezone(review.zone).date(),
                        change_in_words(change, with_day=False),
                    )
                    for change in site.software_changes
                ],
            )
            for site in review.watch
            if site.software or site.software_changes
        ],
        "following_end": review.quarter.following.end_day - timedelta(days=1),
        "has_guarantee": target is not None,
        "credit_months": [
            formatting.month_name(date(year, month, 1)) for year, month in review.quarter.months
        ],
        "credit_steps": sorted(review.plan.credit_steps, key=lambda step: step.below_percent, reverse=True),
        "advice": [_advice(recommendation, review) for recommendation in review.recommendations],
        "response_target": formatting.duration(timedelta(minutes=review.plan.response_target_minutes)),
        "calendar_label": _("business hours") if review.plan.response_calendar == "business" else _("24/7"),
        "hundred": Decimal(100),
    }


def _short(quarter: Quarter) -> str:
    return _("Q%(number)s %(year)s") % {"number": quarter.number, "year": quarter.year}


def _state_sentence(review: QuarterlyReview) -> str:
    figures = review.figures
    if not figures.has_data:
        return _("Nothing was monitored this quarter, so this review has no figures to give.")
    if review.went_badly:
        return _("A quarter with points that need attention: they are listed below, with what we recommend.")
    return _("A quarter without a problem to report: every commitment was kept.")


def _months_list(days: Sequence[date]) -> str:
    names = [formats.date_format(day, "F") for day in days]
    if len(names) == 1:
        return names[0]
    return _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def _highlight(point: Highlight, review: QuarterlyReview) -> str:
    """One point of "what went well" or "what did not", stating its figures."""
    e: Mapping[str, Any] = point.evidence
    key = point.key
    if key == "target_met":
        return ngettext(
            "Uptime met the %(target)s target in the month monitored.",
            "Uptime met the %(target)s target in each of the %(months)s months monitored.",
            e["months"],
        ) % {"target": formatting.percent(e["target"]), "months": e["months"]}
    if key == "no_outage":
        return _("No outage this quarter.")
    if key == "fewer_outages":
        return _("Fewer outages: %(now)s this quarter, against %(before)s the quarter before.") % e
    if key == "more_outages":
        return _("More outages: %(now)s this quarter, against %(before)s the quarter before.") % e
    if key == "responses_met":
        return ngettext(
            "The incident was answered within the committed time.",
            "All %(met)s incidents were answered within the committed time.",
            e["met"],
        ) % {"met": e["met"]}
    if key == "responses_missed":
        return ngettext(
            "%(missed)s incident was not answered within the committed time.",
            "%(missed)s incidents were not answered within the committed time.",
            e["missed"],
        ) % {"missed": e["missed"]}
    if key == "work_done":
        return ngettext(
            "%(tasks)s maintenance task done on your sites.",
            "%(tasks)s maintenance tasks done on your sites.",
            e["tasks"],
        ) % {"tasks": e["tasks"]}
    if key == "target_missed":
        return _("Uptime stayed below the %(target)s target in %(months)s.") % {
            "target": formatting.percent(e["target"]),
            "months": _months_list(e["months"]),
        }
    if key == "long_outage":
        return _("The longest outage lasted %(duration)s, on %(site)s on %(date)s.") % {
            "duration": formatting.duration(e["row"].duration),
            "site": e["site"],
            "date": formatting.long_date(e["row"].first_failed_at.astimezone(review.zone).date()),
        }
    speeds = {
        "now": formatting.milliseconds(e.get("now")),
        "before": formatting.milliseconds(e.get("before")),
    }
    if key == "faster":
        return (
            _(
                "Pages answered faster: 19 responses in 20 came under %(now)s, against %(before)s "
                "the quarter before."
            )
            % speeds
        )
    if key == "slower":
        return (
            _(
                "Pages answered more slowly: 19 responses in 20 came under %(now)s, "
                "against %(before)s the quarter before."
            )
            % speeds
        )
    raise KeyError(key)  # every highlight has its wording (tests/reports/review check it)


def _shift_evidence(shift: LatencyShift) -> dict[str, str]:
    return {
        "site": shift.site,
        "before": formatting.milliseconds(shift.before_ms),
        "after": formatting.milliseconds(shift.after_ms),
        "percent": formatting.percent(shift.rise_percent),
        "change": shift.change,
        "date": formatting.long_date(shift.since) if shift.since else "",
    }


def _expiries(expiries: Sequence[Expiry]) -> list[str]:
    return [
        _("%(subject)s: expires on %(date)s")
        % {"subject": item.subject, "date": formatting.long_date(item.expires_on)}
        for item in expiries
    ]


def _advice(recommendation: Recommendation, review: QuarterlyReview) -> Advice:
    """The advice of one rule, and the facts it fires on (one line each)."""
    e: Mapping[str, Any] = recommendation.evidence
    rule = recommendation.rule
    if rule == "uptime_below_target":
        advice = _(
            "Find and fix what keeps your sites under their target: the causes in the incident "
            "patterns are where to start."
        )
        evidence = [
            _("Uptime below the %(target)s target in %(months)s months of %(of)s.")
            % {"target": formatting.percent(e["target"]), "months": e["months"], "of": e["of"]}
        ]
    elif rule == "outages_outside_hours":
        if e["plan"]:
            advice = _(
                "Consider a 24/7 response commitment (our %(plan)s plan): outside business hours, "
                "your plan has nobody committed to answer."
            ) % {"plan": e["plan"]}
        else:
            advice = _(
                "Consider a 24/7 response commitment: outside business hours, your plan has nobody "
                "committed to answer."
            )
        evidence = [
            ngettext(
                "%(count)s outage began outside business hours this quarter.",
                "%(count)s outages began outside business hours this quarter.",
                e["outages"],
            )
            % {"count": e["outages"]}
        ]
    elif rule == "flaky_site":
        advice = _(
            "A site that fails briefly and recovers by itself is flaky: look for the cause (server "
            "load, network, a plugin) before it becomes an outage."
        )
        evidence = [
            _("%(site)s: %(blips)s failures that a second check did not confirm.")
            % {"site": s.site, "blips": s.blips}
            for s in e["sites"]
            if isinstance(s, SiteFlakiness)
        ]
    elif rule == "recurring_cause":
        advice = _(
            "The same cause keeps coming back: treating it at the root would prevent the next outages."
        )
        evidence = [
            _("%(site)s: %(count)s outages — %(cause)s.")
            % {"site": c.site, "count": c.outages, "cause": cause_in_words(c.cause, c.status_code)}
            for c in e["causes"]
            if isinstance(c, RecurringCause)
        ]
    elif rule == "slower_after_update":
        advice = _("Check what the update changed: the site has answered more slowly since.")
        evidence = [
            _(
                "%(site)s: 19 responses in 20 under %(after)s since %(change)s on %(date)s, against "
                "%(before)s before (+%(percent)s)."
            )
            % _shift_evidence(e["shift"])
        ]
    elif rule == "slower_than_last_quarter":
        advice = _(
            "The site has become slower than last quarter: a look at caching, image sizes and "
            "hosting would help visitors."
        )
        evidence = [
            _(
                "%(site)s: 19 responses in 20 under %(after)s this quarter, against %(before)s the "
                "quarter before (+%(percent)s)."
            )
            % _shift_evidence(e["shift"])
        ]
    elif rule == "visitors_wait":
        advice = _(
            "Visitors wait too often: speed work (caching, lighter pages, hosting) would raise their "
            "satisfaction."
        )
        evidence = [
            _("Visitor satisfaction (Apdex, 1 is best) of %(apdex)s this quarter, under %(threshold)s.")
            % {"apdex": formatting.apdex(e["apdex"]), "threshold": formatting.apdex(float(e["threshold"]))}
        ]
    elif rule == "certificate_renewed_by_hand":
        advice = _(
            "Automate the renewal of your security certificates: one renewed by hand is a forgotten "
            "renewal away from an outage, and automatic certificates (such as Let's Encrypt) cost nothing."
        )
        evidence = [
            _(
                "%(host)s: valid %(days)s days, issued by %(issuer)s: a certificate this long is "
                "bought and renewed by hand."
            )
            % {"host": c.host, "days": formatting.number(c.lifetime_days), "issuer": c.issuer}
            for c in e["certificates"]
            if isinstance(c, LongCertificate)
        ]
    elif rule == "certificate_expires_next_quarter":
        advice = _("Plan the renewal of these security certificates ahead.")
        evidence = _expiries(e["expiries"])
    elif rule == "domain_expires_next_quarter":
        advice = _("Renew these domain names ahead: an expired domain takes the site and its e-mail down.")
        evidence = _expiries(e["expiries"])
    elif rule == "cms_outdated":
        advice = _("Schedule the update of your sites' software: newer versions fix known security flaws.")
        evidence = [str(line) for line in e["sites"]]
    else:
        raise KeyError(rule)  # every rule has its wording (tests/reports/review check it)
    return Advice(rule, advice, evidence)


def _trend_rows(columns: Sequence[SpanFigures], performance: bool) -> list[TrendRow]:
    def stats(value: DurationStats | None) -> str:
        return (
            _("n/a") if value is None else formatting.duration(timedelta(seconds=round(value.mean_seconds)))
        )

    rows = [
        TrendRow(_("Uptime"), [formatting.percent(f.combined.uptime_percent) for f in columns]),
        TrendRow(_("Coverage"), [formatting.percent(f.combined.coverage) for f in columns]),
        TrendRow(_("Downtime"), [formatting.duration(_whole(f.combined.downtime)) for f in columns]),
        TrendRow(_("Outages"), [formatting.number(f.outages) for f in columns]),
        TrendRow(_("Average time to acknowledge"), [stats(f.mtta) for f in columns]),
        TrendRow(_("Average time to recover"), [stats(f.mttr) for f in columns]),
    ]
    if performance:
        words = _phase_words()
        for index, (phase, _value) in enumerate(columns[0].phase_ms):
            values = [f.phase_ms[index][1] if f.phase_ms else None for f in columns]
            if any(value is not None for value in values):
                rows.append(TrendRow(words[phase][0], [formatting.milliseconds(value) for value in values]))
        if any(f.lab is not None and f.lab.days_measured for f in columns):
            rows += [
                TrendRow(
                    _("Main content shown (LCP)"),
                    [formatting.milliseconds(f.lab.lcp_ms if f.lab else None) for f in columns],
                ),
                TrendRow(
                    _("Days the page was measured"),
                    [formatting.number(f.lab.days_measured if f.lab else 0) for f in columns],
                ),
            ]
        rows += [
            TrendRow(
                _("19 in 20 responses under"), [formatting.milliseconds(f.latency.p95_ms) for f in columns]
            ),
            TrendRow(_("Visitor satisfaction (Apdex)"), [formatting.apdex(f.latency.apdex) for f in columns]),
        ]
    return rows


def _whole(value: timedelta) -> timedelta:
    return timedelta(seconds=value // timedelta(seconds=1))


def _six_months(review: QuarterlyReview) -> list[SpanFigures]:
    return [*review.previous_months, *review.months]


def _month_label(month: SpanFigures) -> str:
    return formats.date_format(month.first_day, "M Y")


def _uptime_chart(review: QuarterlyReview) -> str:
    months = _six_months(review)
    known = [float(m.combined.uptime_percent) for m in months if m.combined.uptime_percent is not None]
    floor = min([99.0, *known]) // 1 - 1 if known else 99.0
    bars = [
        charts.Bar(
            _month_label(m),
            None if m.combined.uptime_percent is None else float(m.combined.uptime_percent),
            formatting.percent(m.combined.uptime_percent) if m.has_data else _("no data"),
            charts.uptime_colour(m.combined.uptime_percent),
        )
        for m in months
    ]
    return charts.bar_chart(bars, title=_("Uptime month by month"), floor=floor, ceiling=100.0)


def _outage_chart(review: QuarterlyReview) -> str:
    bars = [
        charts.Bar(_month_label(m), float(m.outages) if m.has_data else None, formatting.number(m.outages))
        for m in _six_months(review)
    ]
    return charts.bar_chart(bars, title=_("Outages month by month"))


def _latency_chart(review: QuarterlyReview) -> str:
    return charts.latency_chart(
        [
            charts.LatencyPoint(_month_label(m), m.latency.median_ms, m.latency.p95_ms)
            for m in _six_months(review)
        ],
        title=_("Response time month by month"),
        y_label=_("milliseconds"),
        p50_label=_("typical response"),
        p95_label=_("19 in 20 under"),
        no_data_label=_("No response time measured over these months"),
        height=180,
    )


def _weekday_chart(review: QuarterlyReview) -> str:
    monday = date(2024, 1, 1)  # a Monday: only its weekday's name is printed
    bars = [
        charts.Bar(
            formats.date_format(monday + timedelta(days=day), "D"), float(count), formatting.number(count)
        )
        for day, count in enumerate(review.patterns.by_weekday)
    ]
    return charts.bar_chart(bars, title=_("Outages by day of the week"), height=110)


def _hour_chart(review: QuarterlyReview) -> str:
    bars = [
        charts.Bar(str(hour), float(count), formatting.number(count))
        for hour, count in enumerate(review.patterns.by_hour)
    ]
    return charts.bar_chart(
        bars, title=_("Outages by hour of the day, in your time zone"), height=110, show_text=False
    )
