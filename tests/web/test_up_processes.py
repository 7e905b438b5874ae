"""What `veilleur up` runs, as docs/deployment.md says: a small supervisor without Django, and one
process of roles (web, checker, worker) that the supervisor starts again when it dies; SIGTERM
stops everything with status 0."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def command_line(pid: int) -> list[str]:
    return [part.decode() for part in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if part]


def thread_names(pid: int) -> set[str]:
    return {(task / "comm").read_text().strip() for task in Path(f"/proc/{pid}/task").iterdir()}


def opens_database(pid: int) -> bool:
    links = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            links.append(os.readlink(fd))
        except OSError:
            continue  # closed meanwhile
    return any(link.endswith("veilleur.sqlite3") for link in links)


def healthy(base_url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:  # not listening yet, or busy starting (URLError is an OSError)
            pass
        time.sleep(0.2)
    return False


def roles_process(supervisor: int, seconds: float = 30) -> int:
    """The supervisor's one child, once it is the process of roles (not the preparation)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        kids = children(supervisor)
        if len(kids) == 1 and "roles" in command_line(kids[0]):
            return kids[0]
        time.sleep(0.2)
    raise AssertionError(f"no process of roles under the supervisor: {children(supervisor)}")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the process tree from /proc")
def test_up_is_a_supervisor_and_one_process_of_roles(tmp_path: Path) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "VEILLEUR_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"}
    for name in ("DATABASE_URL", "VEILLEUR_WEB_WORKERS", "VEILLEUR_BASE_URL"):
        env.pop(name, None)
    up = subprocess.Popen(
        [sys.executable, "-m", "veilleur.cli", "up", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert healthy(base_url, 60), "the web role did not answer"
        roles = roles_process(up.pid)
        assert children(up.pid) == [roles]
        assert children(roles) == [], "the roles are threads of one process, with no child of their own"
        threads = thread_names(roles)
        assert {"checker", "worker"} <= threads, threads
        # The supervisor never opens the database (the roles and the preparation do).
        assert opens_database(roles)
        assert not opens_database(up.pid)

        # A process of roles that dies is started again, and serves again.
        os.kill(roles, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and roles in children(up.pid):
            time.sleep(0.2)
        again = roles_process(up.pid)
        assert again != roles
        assert healthy(base_url, 60), "the restarted roles did not serve"

        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=60) == 0
        assert not Path(f"/proc/{again}").exists(), "the roles ended with the supervisor"
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()


ORPHAN = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "from veilleur.supervisor import stop_with_parent; "
                          "import time; stop_with_parent(); print('ready', flush=True); time.sleep(120)"],
                         stdout=subprocess.PIPE, text=True)
print(child.pid, flush=True)
child.stdout.readline()
print("go", flush=True)
import time; time.sleep(120)
"""


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="Linux's parent-death signal")
def test_the_roles_stop_when_the_supervisor_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert parent.stdout.readline().strip() == "go"
    parent.kill()  # as `kill -9` would: no chance to stop its children itself
    parent.wait()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists(), "the child outlived its killed parent"
