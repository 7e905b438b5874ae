"""`veilleur up --bind`: links follow the bound address when no public address is set, and a
taken port is one clear line and a non-zero exit, not a restart loop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.web.test_up_first_run import _wait_for_link, _wait_until_serving, free_port
from veilleur.bind_address import base_url_for_bind, split_bind
from veilleur.supervisor import Role, Supervisor


def up_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "VEILLEUR_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"}
    for name in ("DATABASE_URL", "VEILLEUR_SECRET_KEY", "VEILLEUR_BASE_URL", "VEILLEUR_BIND"):
        env.pop(name, None)
    return env


def test_links_follow_the_bound_address_when_no_base_url_is_set(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "veilleur.cli", "up", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=up_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        link = _wait_for_link(process, deadline)
        assert link.startswith(f"http://127.0.0.1:{port}/setup/")
        _wait_until_serving(f"http://127.0.0.1:{port}", deadline)
        with urllib.request.urlopen(link, timeout=10) as response:
            assert response.status == 200 and "csrfmiddlewaretoken" in response.read().decode()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_a_taken_port_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**up_env(tmp_path), "VEILLEUR_BIND": f"127.0.0.1:{port}"}
        done = subprocess.run(
            [sys.executable, "-m", "veilleur.cli", "up"], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode != 0
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert f"127.0.0.1:{port} is already in use" in lines[0] and "--bind" in lines[0]
        assert "Traceback" not in done.stdout + done.stderr

        web = subprocess.run(
            [sys.executable, "-m", "veilleur.cli", "web", "--bind", f"127.0.0.1:{port}"],
            env=up_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert web.returncode == 3 and "already in use" in web.stderr and "Traceback" not in web.stderr

        # Taken between the check and the start: the supervisor stops instead of restarting forever.
        started = time.monotonic()
        handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
        try:
            status = Supervisor([Role("web", ["web", "--bind", f"127.0.0.1:{port}", "--no-migrate"])]).run()
        finally:
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
        assert status == 3 and time.monotonic() - started < 30


def test_bound_addresses_as_links() -> None:
    assert base_url_for_bind("127.0.0.1:8100") == "http://127.0.0.1:8100"
    assert base_url_for_bind("0.0.0.0:8100") == "http://127.0.0.1:8100"
    assert base_url_for_bind("[::]:8100") == "http://[::1]:8100"
    assert base_url_for_bind("veilleur.lan:80") == "http://veilleur.lan:80"
    assert base_url_for_bind("localhost") == "http://localhost:8000"
    assert base_url_for_bind("unix:/run/veilleur.sock") is None
    assert split_bind("127.0.0.1:http") is None and split_bind("::1") is None
