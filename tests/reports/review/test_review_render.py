"""The quarterly review as the client reads it: golden text in both languages, every sentence backed
by its fact, the agency's text where it belongs, and pages that hold their content."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.utils import translation

from tests.reports.layout import overflows
from tests.reports.review.conftest import NOW
from veilleur.clients.models import Client, Site
from veilleur.domain.recommendations import (
    RULES,
    Expiry,
    LatencyShift,
    LongCertificate,
    RecurringCause,
    SiteFlakiness,
    recommend,
)
from veilleur.incidents.models import Incident
from veilleur.lab.models import LabRun, LabStatus
from veilleur.reports.editorial import HIDEABLE_SECTIONS, EditorialText
from veilleur.reports.review import Highlight, QuarterlyReview, quarterly_review
from veilleur.reports.review_render import _advice, _highlight, quarterly_document, render_html

GOLDEN = Path(__file__).parent / "golden"
EDITORIAL = EditorialText(
    intro="Bonjour,\nvoici le bilan du trimestre <b>écoulé</b>.",
    closing_note="Merci de votre confiance.",
    next_steps="Passer le site en PHP 8.3 en janvier.",
)


class _Text(HTMLParser):
    """The words a reader sees: no style, no SVG drawing instructions, one line per block."""

    BLOCKS = {"p", "li", "tr", "h1", "h2", "h3", "div", "title", "br", "section"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"style", "svg"}:
            self.skip += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"style", "svg"}:
            self.skip -= 1
        if tag in {"td", "th"}:
            self.parts.append(" | ")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def text_of(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    lines = (re.sub(r"\s+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line) + "\n"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
def test_golden_text(client_with_a_quarter: Client, language: str) -> None:
    """The whole review's text on a fixed clock. After a deliberate change of wording or figures,
    rewrite the files with VEILLEUR_WRITE_GOLDEN=1 and read the difference before committing it."""
    review = quarterly_review(client_with_a_quarter, 2026, 4, NOW)
    text = text_of(render_html(review, EDITORIAL, language))
    golden = GOLDEN / f"quarterly-{language}.txt"
    if os.environ.get("VEILLEUR_WRITE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.django_db
def test_the_agency_text_is_shown_escaped_and_hidden_sections_are_left_out(
    client_with_a_quarter: Client,
) -> None:
    review = quarterly_review(client_with_a_quarter, 2026, 4, NOW)
    html = render_html(review, EDITORIAL, "fr")
    assert "le bilan du trimestre &lt;b&gt;écoulé&lt;/b&gt;." in html
    assert "Passer le site en PHP 8.3 en janvier." in html
    assert "Merci de votre confiance." in html
    hidden = render_html(review, replace(EDITORIAL, hidden_sections=frozenset(HIDEABLE_SECTIONS)), "en")
    for heading in ("Trends", "Incident patterns", "Recommendations", "Uptime guarantee and credits"):
        assert f">{heading}</h2>" in render_html(review, EDITORIAL, "en")
        assert f">{heading}</h2>" not in hidden
    # The summary, the commitment and how figures are counted are never optional.
    for heading in ("The quarter in brief", "Next quarter", "How these figures are counted"):
        assert f">{heading}</h2>" in hidden


@pytest.mark.django_db
def test_sentences_follow_their_facts(client_with_a_quarter: Client) -> None:
    review = quarterly_review(client_with_a_quarter, 2026, 4, NOW)
    text = text_of(render_html(review, language="en"))
    assert review.figures.outages > 0
    assert "No outage this quarter" not in text
    assert "No incident this quarter." not in text
    assert "A quarter without a problem to report" not in text
    assert "1 incident was not answered within the committed time." in text
    assert "Uptime stayed below the 99.9% target in October, November and December." in text

    # The same client once its outages are gone: the other sentences, and no recommendation
    # that rested on them.
    Incident.objects.filter(monitor__site__client=client_with_a_quarter, kind=Incident.Kind.DOWN).delete()
    quiet = quarterly_review(client_with_a_quarter, 2026, 4, NOW)
    text = text_of(render_html(quiet, language="en"))
    assert quiet.figures.outages == 0
    assert "No outage this quarter." in text
    assert "No outage this quarter: there is no pattern to show." in text
    assert "was not answered within the committed time" not in text
    assert "Uptime met the 99.9% target in each of the 3 months monitored." in text
    assert "Find and fix what keeps your sites under their target" not in text
    assert "The same cause keeps coming back" not in text


@pytest.mark.django_db
def test_a_quarter_with_nothing_monitored_says_so(client_with_a_quarter: Client) -> None:
    review = quarterly_review(client_with_a_quarter, 2025, 1, NOW)
    text = text_of(render_html(review, language="en"))
    assert not review.figures.has_data
    assert "Nothing was monitored this quarter" in text
    assert "Uptime met" not in text
    assert review.recommendations == ()


def _with_everything(review: QuarterlyReview) -> QuarterlyReview:
    """The review with every rule's fact made true, as the other checks would report them."""
    shift = LatencyShift("Site vitrine", 400, 600, 5000, 5000, date(2026, 11, 12), "WordPress 6.9 → 7.0")
    facts = replace(
        review.facts,
        months_below_target=3,
        business_hours_plan=True,
        outages_outside_hours=4,
        flaky_sites=(SiteFlakiness("Site vitrine", 12, 1),),
        recurring_causes=(RecurringCause("Site vitrine", "timeout", None, 3),),
        slower_after_update=(shift,),
        slower_than_last_quarter=(shift,),
        apdex=0.5,
        certificates_renewed_by_hand=(LongCertificate("www.boulangerie.example", "Sectigo RSA DV", 365),),
        certificates_expiring=(Expiry("www.boulangerie.example", date(2027, 2, 1)),),
        domains_expiring=(Expiry("boulangerie.example", date(2027, 3, 1)),),
        outdated_cms=("Site vitrine: WordPress 6.7",),
    )
    return replace(review, facts=facts, recommendations=recommend(facts))


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_rule_and_highlight_has_its_wording(client_with_a_quarter: Client, language: str) -> None:
    review = _with_everything(quarterly_review(client_with_a_quarter, 2026, 4, NOW))
    assert [r.rule for r in review.recommendations] == [rule.id for rule in RULES]
    row = review.sites[0].incidents[0]
    points = [
        Highlight("target_met", {"target": review.plan.uptime_target_percent, "months": 3}),
        Highlight("no_outage"),
        Highlight("fewer_outages", {"now": 1, "before": 2}),
        Highlight("more_outages", {"now": 2, "before": 1}),
        Highlight("responses_met", {"met": 2}),
        Highlight("responses_missed", {"missed": 2}),
        Highlight("work_done", {"tasks": 2}),
        Highlight(
            "target_missed", {"target": review.plan.uptime_target_percent, "months": (date(2026, 10, 1),)}
        ),
        Highlight("long_outage", {"site": "Site vitrine", "row": row}),
        Highlight("faster", {"now": 300.0, "before": 400.0}),
        Highlight("slower", {"now": 400.0, "before": 300.0}),
    ]
    with translation.override(language):
        for recommendation in review.recommendations:
            advice = _advice(recommendation, review)
            assert advice.advice and advice.evidence and all(advice.evidence)
        for point in points:
            assert _highlight(point, review)
    html = render_html(review, language=language)
    assert "Site vitrine: WordPress 6.7" in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
def test_nothing_overflows_its_page(client_with_a_quarter: Client, language: str) -> None:
    review = _with_everything(quarterly_review(client_with_a_quarter, 2026, 4, NOW))
    assert overflows(render_html(review, EDITORIAL, language)) == []


@pytest.mark.django_db
def test_a_quarter_in_progress_says_so(client_with_a_quarter: Client) -> None:
    review = quarterly_review(
        client_with_a_quarter, 2026, 4, datetime(2026, 11, 20, 12, 0, tzinfo=NOW.tzinfo)
    )
    assert review.in_progress
    text = text_of(render_html(review, language="en"))
    assert "The quarter is not over: this review covers its days so far." in text
    assert "decided when the month ends" in text


@pytest.mark.django_db
def test_the_stored_document_a_draft_and_hidden_performance(client_with_a_quarter: Client) -> None:
    html, uptime = quarterly_document(client_with_a_quarter, date(2026, 10, 1), NOW, "en", EDITORIAL, True)
    review = quarterly_review(client_with_a_quarter, 2026, 4, NOW)
    assert uptime == review.figures.combined.uptime_percent
    assert "Draft: the agency has not published this report yet." in html
    assert "Draft:" not in render_html(review, EDITORIAL, "en")
    assert "19 in 20 responses under" in text_of(html)
    hidden = render_html(review, replace(EDITORIAL, hidden_sections=frozenset({"performance"})), "en")
    assert "19 in 20 responses under" not in text_of(hidden)
    assert "Response time month by month" not in hidden
    with pytest.raises(ValueError, match="first day"):
        quarterly_document(client_with_a_quarter, date(2026, 11, 1), NOW, "en", EDITORIAL, False)


@pytest.mark.django_db
def test_lab_page_metrics_join_the_trends_when_measured(client_with_a_quarter: Client) -> None:
    review = quarterly_review(client_with_a_quarter, 2026, 4, NOW)
    assert "Main content shown (LCP)" not in text_of(render_html(review, language="en"))
    site = Site.objects.get(client=client_with_a_quarter)
    for day, lcp in ((date(2026, 11, 2), 1800), (date(2026, 11, 3), 2600), (date(2026, 12, 1), 2200)):
        at = datetime(day.year, day.month, day.day, 4, 0, tzinfo=NOW.tzinfo)
        LabRun.objects.create(
            site=site,
            day=day,
            status=LabStatus.MEASURED,
            started_at=at,
            finished_at=at,
            url=site.url,
            lcp_ms=lcp,
        )
    review = quarterly_review(client_with_a_quarter, 2026, 4, NOW)
    assert review.figures.lab is not None and review.figures.lab.days_measured == 3
    text = text_of(render_html(review, language="en"))
    assert "Main content shown (LCP) | 2,200 ms | n/a |" in text
