"""`veilleur check URL`: a one-off check a person can read, or JSON for scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.probes.conftest import Pki
from tests.targets import Target


def run_check(
    *args: str, tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "VEILLEUR_CA_FILE"}
    return subprocess.run(
        [sys.executable, "-m", "veilleur.cli", "check", *args],
        env={
            **base,
            "VEILLEUR_ALLOW_PRIVATE_TARGETS": "1",
            "VEILLEUR_DATA_DIR": str(tmp_path),
            **(env or {}),
        },
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


@pytest.fixture
def https_site(pki: Pki) -> Iterator[str]:
    """An HTTPS site on 127.0.0.1 whose certificate comes from the test CA."""

    class Hello(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<h1>Boulangerie Martin</h1>")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    server.socket = pki.good.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://localhost:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_trusts_the_ca_file_like_the_checker(https_site: str, pki: Pki, tmp_path: Path) -> None:
    """The same URL gets the same verdict from `veilleur check` and from the checker."""
    untrusted = run_check(https_site, tmp_path=tmp_path)
    assert untrusted.returncode == 1 and "tls_untrusted" in untrusted.stdout + untrusted.stderr
    trusted = run_check(https_site, tmp_path=tmp_path, env={"VEILLEUR_CA_FILE": str(pki.ca_file)})
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    missing = run_check(https_site, tmp_path=tmp_path, env={"VEILLEUR_CA_FILE": str(tmp_path / "none.pem")})
    assert missing.returncode == 2 and "VEILLEUR_CA_FILE" in missing.stderr
    assert "Traceback" not in missing.stderr
