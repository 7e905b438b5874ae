"""The report of a demo client's month: the PDF opens, its text carries the figures the HTML
shows, in French and in English."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from veilleur.clients.models import Client
from veilleur.demo.command import run_demo
from veilleur.reports.data import monthly_report
from veilleur.reports.render import render_html, render_pdf

NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
PERCENT = re.compile(r"\d{2,3}[.,]\d{1,3}\s?%")


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("poppler-utils is required under CI=true (apt-get install poppler-utils)")
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True)
    return re.sub(r"\s+", " ", done.stdout.replace("\u00a0", " ").replace("\u202f", " "))


def visible_text(html: str) -> str:
    # Charts' tooltips are SVG <title> text: on screen only on hover, never printed.
    text = re.sub(r"<(script|style|svg)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", text).replace("&nbsp;", " ").replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "month_name"), [("fr", "octobre 2026"), ("en", "October 2026")])
def test_demo_client_october_report(language: str, month_name: str, tmp_path: Path) -> None:
    run_demo(days=40, seed=7, now=NOW, out=lambda line: None)
    client = Client.objects.get(key="maison-rousseau")
    report = monthly_report(client, 2026, 10, NOW)
    html = render_html(report, language)
    text = pdf_text(render_pdf(report, language), tmp_path)
    assert month_name in text and client.name in text
    figures = set(PERCENT.findall(visible_text(html)))
    assert figures, "the report shows no percentage"
    for figure in figures:
        assert figure in text, f"{figure} is in the HTML but not in the PDF"
