"""VEILLEUR_SMTP_URL: the forms that work, and a clear error (never the password) for the rest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from veilleur.notifications.smtp_url import SmtpConfig, SmtpUrlError, parse_smtp_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:25", SmtpConfig(host="127.0.0.1", port=25)),
        ("smtp://relay.example", SmtpConfig(host="relay.example", port=25)),
        (
            "smtp://alerts%40atelier.example:s%3Acret@mail.example:587?starttls=1",
            SmtpConfig(
                host="mail.example",
                port=587,
                username="alerts@atelier.example",
                password="s:cret",
                starttls=True,
            ),
        ),
        (
            "smtps://user:pass@mail.example?timeout=7.5",
            SmtpConfig(
                host="mail.example",
                port=465,
                username="user",
                password="pass",
                implicit_tls=True,
                timeout_seconds=7.5,
            ),
        ),
        ("SMTP://[::1]:2525/", SmtpConfig(host="::1", port=2525)),
    ],
)
def test_accepted_urls(url: str, expected: SmtpConfig) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example", "the scheme must be smtp:// or smtps://, got http://"),
        ("mail.example:25", "the scheme must be smtp:// or smtps://"),
        ("smtp://", "host name is missing"),
        ("smtp://mail.example:99999", "port must be a number from 1 to 65535"),
        ("smtp://mail.example:abc", "port must be a number from 1 to 65535"),
        ("smtp://mail.example?tls=1", "unknown option tls"),
        ("smtp://mail.example?starttls=maybe", "starttls must be 1 or 0"),
        ("smtps://mail.example?starttls=1", "smtps:// is TLS from the start"),
        ("smtp://mail.example?timeout=0", "timeout must be a number of seconds above 0"),
        ("smtp://mail.example?timeout=soon", "timeout must be a number of seconds above 0"),
        ("smtp://user@mail.example", "give both a user name and a password"),
        ("smtp://user:hunter2@mail.example/inbox", "a path or fragment has no meaning"),
    ],
)
def test_refused_urls_say_why(url: str, message: str) -> None:
    with pytest.raises(SmtpUrlError) as error:
        parse_smtp_url(url)
    assert "VEILLEUR_SMTP_URL" in str(error.value) and message in str(error.value)
    assert "hunter2" not in str(error.value)


def test_the_password_is_not_in_the_config_repr() -> None:
    assert "hunter2" not in repr(parse_smtp_url("smtp://user:hunter2@mail.example"))


def test_the_lease_outlasts_the_whole_send() -> None:
    config = parse_smtp_url("smtp://mail.example?timeout=10")
    assert config.send_deadline_seconds >= 4 * config.timeout_seconds
    assert config.lease_seconds > config.send_deadline_seconds


def test_a_bad_url_stops_the_start_with_a_message(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "veilleur.cli", "worker", "--no-migrate"],
        env={
            **os.environ,
            "VEILLEUR_DATA_DIR": str(tmp_path),
            "VEILLEUR_SMTP_URL": "smtp://user:hunter2@mail.example:twentyfive",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "VEILLEUR_SMTP_URL: the port must be a number" in done.stderr
    assert "Traceback" not in done.stderr and "hunter2" not in done.stderr
