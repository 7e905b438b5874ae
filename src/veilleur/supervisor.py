"""``veilleur up``: the roles of one machine as child processes, restarted if one dies.

Each role is the same ``veilleur`` command a multi-host install runs on its own hosts, so what
runs on one machine is exactly what runs at scale. SIGTERM or SIGINT stops every role; each
drains its work first (the checker finishes in-flight checks and releases its leases).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from veilleur.checker.fleet import CheckerFleet

log = logging.getLogger("veilleur.up")

STOP_GRACE_SECONDS = 30
RESTART_BACKOFF_MAX = 30.0
# A role exiting with this status cannot work as configured (the web role's address is taken):
# restarting it would only repeat the error, so every role stops and ``up`` exits with it.
EXIT_CANNOT_START = 3
PR_SET_PDEATHSIG = 1  # prctl(2)


def stop_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies, however it dies (``kill -9``
    included): the roles of a supervisor that is gone must not keep the port and the database.
    Does nothing elsewhere."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def run_step(argv: list[str]) -> int | None:
    """Run ``python -m veilleur.cli ARGV`` to its end (``veilleur up``'s preparation) and return
    its exit status; None when SIGTERM or SIGINT came meanwhile (passed on to it): stop there."""
    step = subprocess.Popen([sys.executable, "-m", "veilleur.cli", *argv])
    stopped = False

    def pass_on(signum: int, frame: FrameType | None) -> None:
        nonlocal stopped
        stopped = True
        step.send_signal(signal.SIGTERM)

    handlers = {signum: signal.signal(signum, pass_on) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        status = step.wait()
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    return None if stopped else status


@dataclass
class Role:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0
    backoff: float = field(default=1.0)
    env: dict[str, str] = field(default_factory=dict)  # added to this process's environment
    pass_fds: tuple[int, ...] = ()
    # Set in the child before it runs Python: a role that does not call stop_with_parent() itself.
    stops_with_parent: bool = False

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "veilleur.cli", *self.argv],
            env={**os.environ, **self.env} if self.env else None,
            pass_fds=self.pass_fds,
            # The supervisor is single-threaded, so running Python code between fork and exec is safe.
            preexec_fn=stop_with_parent if self.stops_with_parent else None,
        )
        log.info("%s started (pid %d)", self.name, self.process.pid)


class Supervisor:
    def __init__(self, roles: list[Role], fleet: CheckerFleet | None = None) -> None:
        self.roles = roles
        self.fleet = fleet
        self.stopping = False
        self.exit_status = 0
        if fleet is not None:
            # The process that runs the checker measures the due rate and writes it to the fleet.
            checker_role = next(role for role in roles if role.argv[0] == "roles")
            checker_role.env = {**checker_role.env, **fleet.pipe.child_env()}
            checker_role.pass_fds = (*checker_role.pass_fds, fleet.pipe.write_fd)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        for role in self.roles:
            role.start()
        while not self.stopping:
            self._restart_dead()
            if self.fleet is not None and not self.stopping:
                self._tend_fleet(self.fleet)
            time.sleep(0.5)
        return self._stop_all()

    def _tend_fleet(self, fleet: CheckerFleet) -> None:
        """Start or stop extra checker processes to the count the latest due rate asks for."""
        fleet.reap()
        rate = fleet.pipe.latest()
        if rate is None:
            return
        wanted = fleet.wanted_extra(rate)
        while len(fleet.extra) < wanted:
            role = Role(f"checker {len(fleet.extra) + 2}", fleet.argv(), stops_with_parent=True)
            log.info("%.1f checks due a second: starting another checker process", rate)
            role.start()
            fleet.extra.append(role)
        while len(fleet.extra) > wanted:
            role = fleet.extra.pop()
            log.info("%.1f checks due a second: stopping %s", rate, role.name)
            fleet.retire(role.process)

    def _restart_dead(self) -> None:
        now = time.monotonic()
        extra = self.fleet.extra if self.fleet is not None else []
        for role in [*self.roles, *extra]:
            if role.process is None:
                if now >= role.next_start:
                    role.start()
                continue
            code = role.process.poll()
            if code is None:
                continue
            if code == EXIT_CANNOT_START:
                log.error("%s cannot start (status %s); stopping every role", role.name, code)
                role.process = None
                self.stopping = True
                self.exit_status = code
                return
            # A role that keeps dying is restarted less and less often, never given up on.
            log.error("%s exited with status %s; restarting in %.0f s", role.name, code, role.backoff)
            role.process = None
            role.restarts += 1
            role.next_start = now + role.backoff
            role.backoff = min(role.backoff * 2, RESTART_BACKOFF_MAX)

    def _stop_all(self) -> int:
        roles = [*self.roles, *(self.fleet.extra if self.fleet is not None else [])]
        running = [role.process for role in roles if role.process is not None]
        if self.fleet is not None:
            running += [process for process, _ in self.fleet.retiring]
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.info("all roles stopped")
        return self.exit_status
