"""``veilleur report monthly`` writes the files, and refuses bad input with status 2."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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


def _this_month(client: Client) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(client.time_zone)).date()


@pytest.mark.django_db(transaction=True)
def test_a_month_to_come_is_refused(
    client_with_history: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    today = _this_month(client_with_history)
    following = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    html = tmp_path / "r.html"
    status = cli.main(
        ["report", "monthly", "--client", "boulangerie", "--month", f"{following:%Y-%m}", "--html", str(html)]
    )
    assert status == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "has not begun" in err and "Traceback" not in err
    assert not html.exists()


@pytest.mark.django_db(transaction=True)
def test_the_month_in_progress_is_labelled_partial_and_shows_no_credit(
    client_with_history: Client, tmp_path: Path
) -> None:
    today = _this_month(client_with_history)
    html = tmp_path / "r.html"
    status = cli.main(
        [
            "report",
            "monthly",
            "--client",
            "boulangerie",
            "--month",
            f"{today:%Y-%m}",
            "--html",
            str(html),
            "--language",
            "en",
        ]
    )
    assert status == cli.EXIT_OK
    text = html.read_text(encoding="utf-8")
    assert f"1–{today.day} {today:%B %Y}, report in progress" in text
    assert "decided when the month ends" in text


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("option", ["--pdf", "--html"])
def test_a_bad_output_path_is_a_clear_error(
    client_with_history: Client, tmp_path: Path, option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.html"
    arguments = ["report", "monthly", "--client", "boulangerie", "--month", "2026-10", "--html", str(other)]
    if option == "--pdf":
        arguments += ["--pdf", "/no/such/dir/x.pdf"]
    else:
        arguments[-1] = str(tmp_path)  # a folder, not a file
    status = cli.main(arguments)
    assert status == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert ("does not exist" in err) if option == "--pdf" else ("is a folder" in err)
    assert not other.exists()
