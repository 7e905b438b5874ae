"""Requests per second and latency of the web role under wrk, for several server set-ups.

Each set-up serves a fresh SQLite data directory on 127.0.0.1; wrk loads two pages:
/healthz (one query) and /login/ (a template, a CSRF cookie). Run from the repository root:

    .venv/bin/python bench/web/run.py [--seconds 10] [--connections 32]

uvicorn is not a dependency of Veilleur; install it into the virtualenv to include it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def setups(port: int) -> dict[str, list[str]]:
    bind = f"127.0.0.1:{port}"
    found = {
        "gunicorn gthread 2x4 (veilleur up)": [
            str(BIN / "gunicorn"),
            "-b",
            bind,
            "-w",
            "2",
            "-k",
            "gthread",
            "--threads",
            "4",
            "--preload",
            "veilleur.wsgi:application",
        ],
        "gunicorn sync 2": [
            str(BIN / "gunicorn"),
            "-b",
            bind,
            "-w",
            "2",
            "-k",
            "sync",
            "--preload",
            "veilleur.wsgi:application",
        ],
    }
    if importlib.util.find_spec("uvicorn"):
        found["uvicorn 2 workers (ASGI)"] = [
            str(BIN / "uvicorn"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--no-access-log",
            "--log-level",
            "warning",
            "veilleur.asgi:application",
        ]
    return found


def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def run_wrk(url: str, seconds: int, connections: int) -> tuple[float, str, str]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)  # type: ignore[union-attr]
    return rps, p50, p99


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    print("| server | page | requests/s | p50 | p99 |\n|---|---|---:|---:|---:|")
    port = free_port()
    for name, command in setups(port).items():
        with tempfile.TemporaryDirectory() as data:
            env = {**os.environ, "VEILLEUR_DATA_DIR": data}
            env.pop("DATABASE_URL", None)
            subprocess.run([str(BIN / "veilleur"), "migrate"], env=env, check=True, capture_output=True)
            server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_ready(port)
                for page in ("/healthz", "/login/"):
                    rps, p50, p99 = run_wrk(f"http://127.0.0.1:{port}{page}", args.seconds, args.connections)
                    print(f"| {name} | {page} | {rps:,.0f} | {p50} | {p99} |", flush=True)
            finally:
                server.terminate()
                server.wait(timeout=15)


if __name__ == "__main__":
    main()
