"""`veilleur up` on an empty data directory: migrates, creates the agency, prints a one-time link
that works against the real web server."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

SETUP_LINK = re.compile(r"(http://127\.0\.0\.1:\d+/setup/[^/\s]+/)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, process: subprocess.Popen[str], base_url: str, link: str) -> None:
        self.process = process
        self.base_url = base_url
        self.link = link


def _wait_for_link(process: subprocess.Popen[str], deadline: float) -> str:
    assert process.stdout is not None
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = SETUP_LINK.search(line)
        if match:
            return match.group(1)
    raise AssertionError("no setup link printed:\n" + "".join(seen))


def _wait_until_serving(base_url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:  # refused, reset, or a read that timed out while the server starts
            time.sleep(0.2)
    raise AssertionError("the web role did not answer /healthz")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "VEILLEUR_DATA_DIR": str(tmp_path / "data"),
        "VEILLEUR_BASE_URL": base_url,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_URL", None)  # the embedded SQLite database, as a new user gets it
    env.pop("VEILLEUR_SECRET_KEY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "veilleur.cli", "up", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        link = _wait_for_link(process, deadline)
        _wait_until_serving(base_url, deadline)
        yield Server(process, base_url, link)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def test_first_run_link_sets_password_and_signs_in(server: Server, tmp_path: Path) -> None:
    assert (tmp_path / "data" / "veilleur.sqlite3").exists()
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{server.base_url}/login/", timeout=10) as response:
        assert response.status == 200
        assert "Veilleur" in response.read().decode()

    with opener.open(server.link, timeout=10) as response:
        form_page = response.read().decode()
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": _csrf(form_page),
            "agency_name": "Atelier Lumière",
            "name": "Camille",
            "email": "camille@atelier.example",
            "password1": "lanterne-magique-42",
            "password2": "lanterne-magique-42",
        }
    ).encode()
    request = urllib.request.Request(server.link, data=body, headers={"Referer": server.link})
    with opener.open(request, timeout=10) as response:
        # Redirected to the staff home, signed in.
        assert response.geturl() == f"{server.base_url}/"
        assert "Atelier Lumière" in response.read().decode()

    with pytest.raises(urllib.error.HTTPError) as used_twice:
        opener.open(server.link, timeout=10)
    assert used_twice.value.code == 404


def test_every_role_runs_and_stops_on_sigterm(server: Server) -> None:
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=60) == 0
    assert server.process.stdout is not None
    # Read through the text wrapper, which holds what the fixture's readline() buffered.
    output = server.process.stdout.read()
    # The supervisor starts the process of roles, which runs the three (docs/deployment.md).
    roles = (
        "roles started",
        "web role listening on",
        "started (region",
        "worker started",
        "all roles stopped",
    )
    for line in roles:
        assert line in output, output
