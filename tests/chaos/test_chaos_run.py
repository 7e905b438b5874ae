"""The chaos run of bench/chaos in its quick form: a real install on loopback (PostgreSQL of its
own, every role a process; SQLite on a tiny disk), sites going down and up, each role killed,
the database and the mail server stopped, a clock stepped, the disk filled. Only with
``pytest -m chaos``: it takes minutes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pgcluster import postgres_bin

REPOSITORY = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.chaos


def test_the_quick_chaos_run_loses_nothing_and_resumes_by_itself() -> None:
    if postgres_bin() is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    env = {**os.environ, "VEILLEUR_ALLOW_PRIVATE_TARGETS": "1"}
    env.pop("VEILLEUR_TEST_DATABASE_NAME", None)
    done = subprocess.run(
        [sys.executable, "bench/chaos/run.py", "--quick", "--seed", "17"],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    table = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    checks = {line.split(" | ")[1] for line in table[1:]}
    # Every fault of the run was judged: none was left out by the schedule.
    for check in ("lost incidents", "lost notifications", "web answers while the database was away"):
        assert check in checks, output
    for fault in (
        "kill -9 checker-a",
        "kill -9 checker-b",
        "kill -9 worker",
        "kill -9 web",
        "PostgreSQL stopped",
        "SMTP server stopped",
        "clock step",
        "disk full",
    ):
        assert any(fault in check for check in checks), f"{fault} was not struck:\n{output}"
    assert "**NO**" not in done.stdout, output
