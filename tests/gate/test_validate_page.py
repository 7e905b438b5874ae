"""``scripts/validate-page`` on a file: it names each problem, and its exit status says so."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.gate.validators import missing_tools

pytestmark = [pytest.mark.browser, pytest.mark.gate]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "validate-page"
FLAWED = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Flawed</title></head>'
    "<body><main><h1>Status</h1><h3>Shop</h3><p>Updated <time>3 Dec, 14:05</time></p>"
    '<p style="color:#bbb">faint</p></main></body></html>'
)


@pytest.fixture(autouse=True)
def validators(chromium_path: str) -> None:
    missing = missing_tools()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail("; ".join(missing))
        pytest.skip("; ".join(missing))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=300, check=False)


def test_each_validator_names_what_it_refuses(tmp_path: Path) -> None:
    page = tmp_path / "flawed.html"
    page.write_text(FLAWED)
    result = run(str(page))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert any("[axe] color-contrast (serious)" in line for line in lines)
    assert any("[width] laid out 980 px wide on a 390 px screen" in line for line in lines)
    assert any("[vnu]" in line and "“time”" in line for line in lines)
    assert any("[vnu]" in line and "skipping 1 heading level" in line for line in lines)
    assert lines[-1].endswith("problems on 1 page")


def test_a_clean_page_passes_and_a_missing_one_is_bad_input(tmp_path: Path) -> None:
    page = tmp_path / "clean.html"
    page.write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Clean</title></head>'
        "<body><main><h1>Status</h1><p>All good.</p></main></body></html>"
    )
    result = run(str(page))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "0 problems on 1 page"
    missing = run(str(tmp_path / "nothing-here.html"))
    assert missing.returncode == 2
    assert "neither an http(s) address nor an HTML file" in missing.stderr
