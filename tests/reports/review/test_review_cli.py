"""``veilleur report quarterly`` writes the files, and refuses bad input with status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from veilleur import cli
from veilleur.clients.models import Client
from veilleur.plans.models import Plan


def _quarterly(*extra: str) -> int:
    return cli.main(["report", "quarterly", "--client", "boulangerie", *extra])


@pytest.mark.django_db(transaction=True)
def test_writes_pdf_and_html(client_with_a_quarter: Client, tmp_path: Path) -> None:
    pdf, html, english = tmp_path / "q.pdf", tmp_path / "q.html", tmp_path / "en.html"
    assert _quarterly("--quarter", "2026Q4", "--pdf", str(pdf), "--html", str(html)) == cli.EXIT_OK
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "T4 2026 (octobre–décembre 2026)" in html.read_text(encoding="utf-8")
    assert _quarterly("--quarter", "2026-q4", "--html", str(english), "--language", "en") == cli.EXIT_OK
    assert "Q4 2026 (October–December 2026)" in english.read_text(encoding="utf-8")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("quarter", ["2026Q5", "2026-10", "Q4", "2026Q4\n"])
def test_a_bad_quarter_is_refused(
    client_with_a_quarter: Client, tmp_path: Path, quarter: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _quarterly("--quarter", quarter, "--html", str(tmp_path / "q.html")) == cli.EXIT_BAD_INPUT
    assert "is not a quarter like 2026Q3" in capsys.readouterr().err
    assert not (tmp_path / "q.html").exists()


@pytest.mark.django_db(transaction=True)
def test_a_quarter_to_come_and_a_plan_without_the_review_are_refused(
    client_with_a_quarter: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "q.html"
    assert _quarterly("--quarter", "2999Q1", "--html", str(out)) == cli.EXIT_BAD_INPUT
    assert "has not begun yet" in capsys.readouterr().err
    assert _quarterly("--quarter", "2026Q4") == cli.EXIT_BAD_INPUT
    assert "--pdf FILE and/or --html FILE" in capsys.readouterr().err
    Plan.objects.filter(pk=client_with_a_quarter.plan_id).update(quarterly_review=False)
    assert _quarterly("--quarter", "2026Q4", "--html", str(out)) == cli.EXIT_BAD_INPUT
    assert "does not include the quarterly review" in capsys.readouterr().err
    assert not out.exists()
