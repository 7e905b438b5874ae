"""VEILLEUR_LOG_FORMAT=json: every line a process writes to its log is one JSON object with the
time in UTC, the level, the logger, the message and the role that logged it."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.notifications.mailsink import free_port
from veilleur.operations.logs import JsonFormatter


def test_a_record_becomes_one_line_of_json_with_its_extra_fields_and_traceback() -> None:
    logger = logging.getLogger("veilleur.test")
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logger.makeRecord(
            "veilleur.test",
            logging.ERROR,
            __file__,
            1,
            "monitor %s failed",
            (42,),
            sys.exc_info(),
            extra={"monitor_id": 42, "due_at": datetime(2026, 12, 1, tzinfo=UTC)},
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "monitor 42 failed" and entry["level"] == "ERROR"
    assert entry["logger"] == "veilleur.test" and entry["role"]
    assert entry["monitor_id"] == 42 and entry["due_at"] == "2026-12-01 00:00:00+00:00"
    assert "ValueError: bad\nvalue" in entry["exception"]
    logged_at = datetime.fromisoformat(entry["time"])
    assert logged_at.utcoffset() is not None and logged_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert abs((datetime.now(UTC) - logged_at).total_seconds()) < 60


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return {**env, "VEILLEUR_DATA_DIR": str(data_dir), **extra}


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line parsed: a line that is not JSON fails the test."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run_until_healthy(command: list[str], env: dict[str, str], base_url: str) -> tuple[str, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "veilleur.cli", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        time.sleep(2)  # the checker and the worker log that they started
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    return stdout, stderr


def test_veilleur_up_logs_json_lines_naming_each_role(tmp_path: Path) -> None:
    port = free_port()
    _, stderr = run_until_healthy(
        ["up", "--bind", f"127.0.0.1:{port}"],
        environment(tmp_path, VEILLEUR_LOG_FORMAT="json"),
        f"http://127.0.0.1:{port}",
    )
    entries = json_lines(stderr)
    roles = {entry["role"] for entry in entries}
    assert {"up", "web", "checker", "worker"} <= roles, roles
    started = {entry["message"].split(" ")[0]: entry["role"] for entry in entries}
    assert started.get("checker") == "checker" and started.get("worker") == "worker"
    assert all({"time", "level", "logger", "message", "role"} <= entry.keys() for entry in entries)


def test_the_web_role_access_log_is_json_too(tmp_path: Path) -> None:
    port = free_port()
    stdout, stderr = run_until_healthy(
        ["web", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        environment(tmp_path, VEILLEUR_LOG_FORMAT="json"),
        f"http://127.0.0.1:{port}",
    )
    access = [entry for entry in json_lines(stdout) if entry["logger"] == "gunicorn.access"]
    assert any("GET /healthz" in entry["message"] for entry in access)
    assert all(entry["role"] == "web" for entry in json_lines(stdout) + json_lines(stderr))


def test_text_stays_the_default_and_an_unknown_format_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "veilleur.cli", "migrate"],
        env=environment(tmp_path, VEILLEUR_LOG_FORMAT="xml"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "VEILLEUR_LOG_FORMAT must be text or json, got 'xml'" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.django_db
def test_the_text_format_is_the_one_configured_by_default() -> None:
    from django.conf import settings

    if "VEILLEUR_LOG_FORMAT" in os.environ:
        pytest.skip("the suite runs with VEILLEUR_LOG_FORMAT set")
    assert settings.VEILLEUR_LOG_FORMAT == "text"
    assert "()" not in settings.LOGGING["formatters"]["plain"]
