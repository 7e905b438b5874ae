"""The report as a document: both languages, local number and date formats, the PDF's text."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reports.conftest import NOW
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
