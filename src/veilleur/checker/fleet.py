"""Extra checker processes under ``veilleur up``, started and stopped as the load needs them.

The process of roles runs one checker on its event-loop thread, which uses one core at most. When
the monitors' due rate (the sum over monitors of 1 / interval) is more than one process holds,
the supervisor starts plain ``veilleur checker`` processes beside it, up to one per core; they
share the monitors with it through leases, exactly as checkers on several hosts do, on SQLite and
PostgreSQL alike. The supervisor starts a dead one again, and stops one when the rate has fallen.

The supervisor has no Django and never opens the database: the process of roles measures the due
rate (``checker/demand.py``) and writes it, one line of text, to a pipe the supervisor gave it.
The decision is ``domain/checker_processes.py``; this module only starts and stops processes.

Settings (environment, read by the supervisor):

- ``VEILLEUR_CHECKER_PROCESS_RATE``: checks a second one checker process is given before another
  is started (default 250);
- ``VEILLEUR_CHECKER_PROCESSES``: the most checker processes, the process of roles included
  (default: the cores this process may run on); 1 turns extra processes off;
- ``VEILLEUR_CHECKER_FLEET_SECONDS``: how often the rate is measured and the count decided
  (default 30).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from veilleur.domain.checker_processes import checker_processes

if TYPE_CHECKING:
    from veilleur.supervisor import Role

log = logging.getLogger("veilleur.up")

DEMAND_FD_ENV = "VEILLEUR_CHECKER_DEMAND_FD"
DEFAULT_PROCESS_RATE = 250.0
DEFAULT_FLEET_SECONDS = 30.0
STOP_GRACE_SECONDS = 30.0


def _env_float(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SystemExit(f"error: {name} must be a number, not {text!r}") from None
    if value <= 0:
        raise SystemExit(f"error: {name} must be more than 0, not {text!r}")
    return value


def machine_cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container may narrow)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class FleetSettings:
    per_process: float
    most_processes: int
    every_seconds: float

    @classmethod
    def from_env(cls) -> FleetSettings:
        most = _env_float("VEILLEUR_CHECKER_PROCESSES", float(machine_cores()))
        return cls(
            per_process=_env_float("VEILLEUR_CHECKER_PROCESS_RATE", DEFAULT_PROCESS_RATE),
            most_processes=max(1, int(most)),
            every_seconds=_env_float("VEILLEUR_CHECKER_FLEET_SECONDS", DEFAULT_FLEET_SECONDS),
        )


class DemandPipe:
    """The pipe from the process of roles (which writes the due rate, a line at a time) to the
    supervisor (which reads the latest). The supervisor keeps both ends open, so a restarted
    process of roles writes to the same pipe; a line of a few bytes is written atomically."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        self._partial = b""

    def child_env(self) -> dict[str, str]:
        return {DEMAND_FD_ENV: str(self.write_fd)}

    def latest(self) -> float | None:
        """The last complete rate written since the previous call, or None."""
        found = None
        while True:
            try:
                chunk = os.read(self.read_fd, 4096)
            except BlockingIOError:
                break
            if not chunk:
                break
            self._partial += chunk
        *lines, self._partial = self._partial.split(b"\n")
        for line in lines:
            with contextlib.suppress(ValueError):
                found = float(line)
        return found

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


class CheckerFleet:
    """The extra ``veilleur checker`` processes: as many as ``checker_processes`` says, minus the
    process of roles' own checker. ``start_role`` makes a supervised role of an argv (the
    supervisor's ``Role``, so that a dead one is started again like any role)."""

    def __init__(self, region: str, settings: FleetSettings) -> None:
        self.region = region
        self.settings = settings
        self.pipe = DemandPipe()
        self.extra: list[Role] = []
        self.retiring: list[tuple[subprocess.Popen[bytes], float]] = []
        self.last_rate: float | None = None

    def argv(self) -> list[str]:
        return ["checker", "--no-migrate", "--region", self.region]

    def wanted_extra(self, rate: float) -> int:
        total = checker_processes(
            rate, self.settings.per_process, self.settings.most_processes, running=1 + len(self.extra)
        )
        return total - 1

    def retire(self, process: subprocess.Popen[bytes] | None) -> None:
        """Stop one extra checker: it finishes its checks in flight and releases its leases."""
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        self.retiring.append((process, time.monotonic() + STOP_GRACE_SECONDS))

    def reap(self) -> None:
        """Forget retired processes that have ended; kill one that outstays its grace."""
        still = []
        for process, deadline in self.retiring:
            if process.poll() is not None:
                continue
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                continue
            still.append((process, deadline))
        self.retiring = still
