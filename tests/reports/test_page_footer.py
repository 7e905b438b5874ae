"""The PDF's page footer (agency · client · month, in the page margin) prints names exactly as
they are written, whatever characters they hold."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

from tests.reports.conftest import NOW
from veilleur.clients.models import Client
from veilleur.reports.data import monthly_report
from veilleur.reports.render import period_label, render_html, render_pdf


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("poppler-utils is required under CI=true (apt-get install poppler-utils)")
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("agency_name", "client_name"),
    [
        ("Agence-Dupont", "Boulangerie Saint-Éloi"),
        ('Web "&" fils', "</style>L'Atelier\\"),
    ],
)
def test_footer_prints_names_as_written(
    client_with_history: Client, tmp_path: Path, agency_name: str, client_name: str
) -> None:
    agency = client_with_history.agency
    agency.name = agency_name
    agency.save()
    client_with_history.name = client_name
    client_with_history.save()
    report = monthly_report(client_with_history, 2026, 10, NOW)

    text = _pdf_text(render_pdf(report, "fr"), tmp_path)

    assert f"{agency_name} · {client_name} · octobre 2026" in text
    assert "u002D" not in text and "\\" not in text.replace(client_name, "")


@pytest.mark.django_db
def test_footer_names_cannot_leave_the_style_element(client_with_history: Client) -> None:
    client_with_history.name = "</style><script>alert(1)</script>"
    client_with_history.save()
    html = render_html(monthly_report(client_with_history, 2026, 10, NOW), "en")
    style = html[html.index("<style>") : html.index("</style>")]
    assert "<script>" not in style and "alert" in style  # the name is there, escaped for CSS
    assert "<script>alert" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
def test_footer_of_the_month_in_progress_says_so(
    client_with_history: Client, tmp_path: Path, language: str
) -> None:
    """Every page of a report on the running month carries the partial label the cover shows."""
    report = monthly_report(client_with_history, NOW.year, NOW.month, NOW)
    assert report.in_progress
    with translation.override(language):
        label = period_label(report)
    text = _pdf_text(render_pdf(report, language), tmp_path)

    footer = f"{client_with_history.agency.name} · {client_with_history.name} · {label}"
    pages = text.split("\f")
    assert all(footer in page for page in pages[1:] if page.strip())  # the cover has no footer
    assert text.count(footer) == len([page for page in pages[1:] if page.strip()])
