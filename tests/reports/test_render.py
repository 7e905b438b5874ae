"""The report as a document: both languages, local number and date formats, the PDF's text."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reports.conftest import NOW, OCT_END, OCT_START
from veilleur.clients.models import Client
from veilleur.reports import charts
from veilleur.reports.data import MonthlyReport, monthly_report
from veilleur.reports.formatting import percent
from veilleur.reports.render import render_html, render_pdf


@pytest.fixture
def report(client_with_history: Client) -> MonthlyReport:
    return monthly_report(client_with_history, 2026, 10, NOW)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ")


@pytest.mark.django_db
def test_french_uses_french_numbers_and_dates(report: MonthlyReport) -> None:
    html = render_html(report, "fr")
    text = _text(html)
    uptime = report.combined.uptime_percent
    assert uptime is not None
    assert str(uptime) == "99.898"
    assert "99,898 %" in text
    assert "99,9 %" in text  # the plan's target
    assert "octobre 2026" in text
    assert "1er octobre 2026" in text
    assert "Disponibilité" in text and "Comment ces chiffres sont calculés" in text
    assert "Mise à jour WordPress" in text and "WordPress 6.8 → 6.9" in text
    assert "Note interne" not in text  # a task hidden from the client
    assert '<html lang="fr">' in html


@pytest.mark.django_db
def test_english_uses_english_numbers_and_dates(report: MonthlyReport) -> None:
    text = _text(render_html(report, "en"))
    assert "99.898%" in text
    assert "October 2026" in text
    assert "How these figures are counted" in text
    assert "Uptime guarantee" in text
    assert "octobre" not in text


@pytest.mark.django_db
def test_text_from_the_database_is_escaped(client_with_history: Client) -> None:
    client_with_history.name = "<b>Martin & fils</b>"
    client_with_history.save()
    html = render_html(monthly_report(client_with_history, 2026, 10, NOW), "en")
    assert "<b>Martin" not in html
    assert "&lt;b&gt;Martin &amp; fils&lt;/b&gt;" in html


def test_charts_are_deterministic_and_escaped() -> None:
    cells = [charts.StripCell("1", None, "<day> & night"), charts.StripCell("2", percent_value(), "ok")]
    first = charts.uptime_strip(cells, title="T & <t>")
    assert first == charts.uptime_strip(cells, title="T & <t>")
    assert "&lt;day&gt; &amp; night" in first and "<day>" not in first
    assert charts.NO_DATA in first
    points = [charts.LatencyPoint("1", 120.0, 300.5), charts.LatencyPoint("2", None, None)]
    chart = charts.latency_chart(
        points, title="a<b", y_label="ms", p50_label="median", p95_label="p95", no_data_label="none"
    )
    assert "a&lt;b" in chart and "<polyline" not in chart  # single points, the gap breaks the line
    assert chart.count("<circle") == 2


def percent_value() -> object:
    from decimal import Decimal

    return Decimal("99.95")


def test_percent_trims_zeros_and_never_rounds_up() -> None:
    from decimal import Decimal
    from fractions import Fraction

    from django.utils import translation

    with translation.override("en"):
        assert percent(Decimal("99.900")) == "99.9%"
        assert percent(Decimal("100.000")) == "100%"
        assert percent(Fraction(99999, 100000) + Fraction(9, 10**9)) == "99.999%"
    with translation.override("fr"):
        assert percent(Decimal("99.970")) == "99,97\u00a0%"
        assert percent(None) == "n.d."


@pytest.mark.django_db
def test_pdf_carries_the_uptime_the_html_shows(report: MonthlyReport, tmp_path: Path) -> None:
    pdf = render_pdf(report, "fr")
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("poppler-utils is required under CI=true (apt-get install poppler-utils)")
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    shown = "99,898 %"
    assert shown in _text(render_html(report, "fr"))
    assert shown in text.replace("\u00a0", " ")
    assert "octobre 2026" in text


@pytest.mark.django_db
def test_golden_multi_monitor_site(client_with_two_monitors: Client) -> None:
    """The site of two monitors, its figure worked out by hand from the fixture's timestamps."""
    from datetime import UTC, datetime, timedelta
    from fractions import Fraction

    from veilleur.domain.accounting import percent_rounded_down

    def at(day: int, hour: int, minute: int, second: int = 0) -> datetime:
        return datetime(2026, 10, day, hour, minute, second, tzinfo=UTC)

    # Home 10:00–10:45 and shop 10:30–11:05 on the 5th: one span 10:00–11:05. Shop alone on the 14th.
    down = (at(5, 11, 5) - at(5, 10, 0)) + (at(14, 14, 20, 10) - at(14, 14, 17, 50))
    # The home page's no-data gap is watched by the shop: only the site-wide maintenance hour is out.
    monitored = (OCT_END - OCT_START) - timedelta(hours=1)
    expected = percent_rounded_down(
        1 - Fraction(down // timedelta(microseconds=1), monitored // timedelta(microseconds=1))
    )

    report = monthly_report(client_with_two_monitors, 2026, 10, NOW)
    (site,) = report.sites
    assert site.combined.downtime == down and site.combined.monitored == monitored
    assert site.combined.uptime_percent == expected == report.combined.uptime_percent
    text = _text(render_html(report, "fr")).replace("\u202f", " ")
    assert f"{expected}".replace(".", ",") + " %" in text
    assert "Le site a répondu par une erreur (HTTP 502 Bad Gateway)" in text
    assert "Le serveur a refusé la connexion" in text
    assert "http_status" not in text and "Panne refused" not in text
    assert "1 h 07 min 20 s" in text  # 65 min + 2 min 20 s, the site's total
    assert "15 min" in text  # the overlap, said once
    handled = report.incidents_handled
    assert f"{report.incident_count} incidents détectés, {handled} rétablis." in text  # not "rétabli(s)"


def test_durations_and_numbers_in_french() -> None:
    from datetime import timedelta

    from django.utils import translation

    from veilleur.reports.formatting import duration, number

    with translation.override("fr"):
        assert duration(timedelta(minutes=240)) == "4\u00a0h"
        assert duration(timedelta(minutes=2, seconds=20)) == "2\u00a0min\u00a020\u00a0s"
        assert duration(timedelta(hours=1, minutes=5)) == "1\u00a0h\u00a005\u00a0min"
        assert duration(timedelta(0)) == "0\u00a0s"
        assert number(14410) == "14\u00a0410"
    with translation.override("en"):
        assert number(14410) == "14,410"
