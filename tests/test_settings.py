"""Settings come from the environment; a bad value stops the start with a message, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import veilleur.settings"],
        env={**os.environ, "VEILLEUR_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("VEILLEUR_RAW_RETENTION_DAYS", "0", "must be at least 1"),
        ("VEILLEUR_RAW_RETENTION_DAYS", "two weeks", "must be an integer"),
        ("VEILLEUR_MIN_INTERVAL_SECONDS", "ten", "must be an integer"),
        ("VEILLEUR_SIGNIN_FAILURE_LIMIT", "0", "must be at least 1"),
        ("VEILLEUR_SIGNIN_LOCKOUT_MINUTES", "-5", "must be at least 1"),
        ("VEILLEUR_TRUSTED_PROXIES", "127.0.0.1, localhost", "'localhost' is not an IP address or network"),
        (
            "VEILLEUR_CANARY_URLS",
            "https://a.example/, ftp://b.example/",
            "it must start with http:// or https://",
        ),
        ("VEILLEUR_CHECKER_DNS_SERVER", "dns.example:53", "must be an IP address with an optional port"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, name: str, value: str, message: str) -> None:
    done = load_settings(tmp_path, **{name: value})
    assert done.returncode != 0
    assert name in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr


def test_secret_key_is_made_once_and_private(tmp_path: Path) -> None:
    assert load_settings(tmp_path).returncode == 0
    key_file = tmp_path / "secret_key"
    first = key_file.read_text()
    assert len(first) >= 50 and key_file.stat().st_mode & 0o077 == 0
    assert load_settings(tmp_path).returncode == 0
    assert key_file.read_text() == first


def test_canary_urls_are_read_in_order_without_repeats(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import veilleur.settings as s; print(s.VEILLEUR_CANARY_URLS)"],
        env={
            **os.environ,
            "VEILLEUR_DATA_DIR": str(tmp_path),
            "VEILLEUR_CANARY_URLS": " https://b.example/ ,https://a.example/,,https://b.example/",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "('https://b.example/', 'https://a.example/')", done.stderr
