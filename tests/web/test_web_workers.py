"""`veilleur web --workers 2`: each worker listens on a socket of its own, so the kernel spreads
new connections over the workers instead of one worker taking a whole burst of them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.checker.test_fleet_processes import children
from tests.web.test_up_bind import up_env
from tests.web.test_up_first_run import free_port

CONNECTIONS = 32


def test_connections_are_spread_over_the_workers(tmp_path: Path) -> None:
    port = free_port()
    master = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "veilleur.cli",
            "web",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--no-migrate",
        ],
        env=up_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    clients: list[socket.socket] = []
    try:
        workers = _wait_for_workers_listening(master.pid, port, count=2)
        assert _listening_sockets(port, [master.pid]) == set()  # the master takes no connection
        listeners = {pid: _listening_sockets(port, [pid]) for pid in workers}
        assert all(len(inodes) == 1 for inodes in listeners.values())
        assert len(set().union(*listeners.values())) == 2  # two sockets, not one inherited by both

        for _ in range(CONNECTIONS):
            clients.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        held = _wait_for_accepted(port, workers, CONNECTIONS)
        # Spread by a hash of each connection's addresses: all 32 on one worker has odds of 2 in 2**32.
        assert all(count > 0 for count in held.values()), held
    finally:
        for client in clients:
            client.close()
        master.send_signal(signal.SIGTERM)
        master.wait(timeout=30)


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in (Path("/proc") / str(pid) / "fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    except OSError:
        pass
    return inodes


def _tcp_sockets(port: int, state: str) -> set[str]:
    """Inodes of the IPv4 TCP sockets on local ``port`` in ``state`` (0A listening, 01 established)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            found.add(fields[9])
    return found


def _listening_sockets(port: int, pids: list[int]) -> set[str]:
    owned = set().union(*(_socket_inodes(pid) for pid in pids))
    return _tcp_sockets(port, "0A") & owned


def _wait_for_workers_listening(master: int, port: int, count: int) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = children(master)
        if len(workers) == count and all(_listening_sockets(port, [pid]) for pid in workers):
            return workers
        time.sleep(0.2)
    raise AssertionError(f"{count} workers did not listen on port {port} within 60 s")


def _wait_for_accepted(port: int, workers: list[int], expected: int) -> dict[int, int]:
    deadline = time.monotonic() + 30
    held: dict[int, int] = {}
    while time.monotonic() < deadline:
        established = _tcp_sockets(port, "01")
        held = {pid: len(_socket_inodes(pid) & established) for pid in workers}
        if sum(held.values()) == expected:
            return held
        time.sleep(0.1)
    raise AssertionError(f"the workers accepted {held} of {expected} connections within 30 s")
