"""`veilleur check URL`: a one-off check a person can read, or JSON for scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.targets import Target


def run_check(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VEILLEUR_ALLOW_PRIVATE_TARGETS": "1", "VEILLEUR_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "veilleur.cli", "check", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_healthy_site_reads_as_up(target: Target, tmp_path: Path) -> None:
    done = run_check(f"http://127.0.0.1:{target.port}/", "--keyword", "Boulangerie", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "200" in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_json_output_and_failure_status(target: Target, tmp_path: Path) -> None:
    target.healthy = False
    done = run_check(f"http://127.0.0.1:{target.port}/", "--json", tmp_path=tmp_path)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False and report["error_class"] == "http_status"


def test_bad_arguments_exit_2_with_a_message(tmp_path: Path) -> None:
    done = run_check("ftp://example.invalid/", tmp_path=tmp_path)
    assert done.returncode == 2
    assert "http" in done.stderr and "Traceback" not in done.stderr
