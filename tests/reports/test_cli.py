"""``veilleur report monthly`` writes the files, and refuses bad input with status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from veilleur import cli
from veilleur.clients.models import Client


@pytest.mark.django_db(transaction=True)
def test_writes_pdf_and_html(client_with_history: Client, tmp_path: Path) -> None:
    pdf, html = tmp_path / "r.pdf", tmp_path / "r.html"
    status = cli.main(
        [
            "report",
            "monthly",
            "--client",
            "boulangerie",
            "--month",
            "2026-10",
            "--pdf",
            str(pdf),
            "--html",
            str(html),
        ]
    )
    assert status == cli.EXIT_OK
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "octobre 2026" in html.read_text(encoding="utf-8")
    english = tmp_path / "en.html"
    assert (
        cli.main(
            [
                "report",
                "monthly",
                "--client",
                "boulangerie",
                "--month",
                "2026-10",
                "--html",
                str(english),
                "--language",
                "en",
            ]
        )
        == 0
    )
    assert "October 2026" in english.read_text(encoding="utf-8")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("month", ["2026-13", "2026-1", "octobre", "2026-00"])
def test_a_bad_month_is_refused(
    client_with_history: Client, tmp_path: Path, month: str, capsys: pytest.CaptureFixture[str]
) -> None:
    html = tmp_path / "r.html"
    status = cli.main(["report", "monthly", "--client", "boulangerie", "--month", month, "--html", str(html)])
    assert status == cli.EXIT_BAD_INPUT
    assert "month" in capsys.readouterr().err
    assert not html.exists()


@pytest.mark.django_db(transaction=True)
def test_an_unknown_client_is_refused(
    client_with_history: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(
        ["report", "monthly", "--client", "nobody", "--month", "2026-10", "--html", str(tmp_path / "x")]
    )
    assert status == cli.EXIT_BAD_INPUT
    assert "boulangerie" in capsys.readouterr().err
