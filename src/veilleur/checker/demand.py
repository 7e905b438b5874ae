"""The due rate of the monitors, measured in the process of roles for ``veilleur up``'s supervisor,
which decides from it how many checker processes to run (``checker/fleet.py``)."""

from __future__ import annotations

import logging
import os
import threading

from django.db import DatabaseError, close_old_connections
from django.db.models import Count

from veilleur.domain.checker_processes import due_rate

log = logging.getLogger("veilleur.checker")


def measured_due_rate() -> float:
    """Checks due a second: the sum over monitors that are not paused of 1 / their interval (the
    monitor's own, else its plan's). Confirmation re-checks come on top, only during failures."""
    from veilleur.monitoring.models import Monitor

    groups = (
        Monitor.objects.filter(paused=False)
        .values_list("interval_seconds", "site__client__plan__check_interval_seconds")
        .annotate(monitors=Count("id"))
        .order_by()
    )
    return due_rate((own or plan or 0, count) for own, plan, count in groups)


def report_due_rate(write_fd: int, every_seconds: float, stopping: threading.Event) -> None:
    """Write the due rate to ``write_fd`` (a line of text) now and every ``every_seconds``, until
    ``stopping`` is set. A database that is away skips a report; a supervisor that is gone ends
    the reports, not the process."""
    while not stopping.is_set():
        close_old_connections()
        try:
            rate = measured_due_rate()
        except DatabaseError as exc:
            log.debug("due rate not measured: %s", exc)
        else:
            try:
                os.write(write_fd, f"{rate:.3f}\n".encode("ascii"))
            except OSError:
                stopping.wait()
                return
        stopping.wait(every_seconds)
