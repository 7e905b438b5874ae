"""A role's view of its database: reachable, or lost since when — and how long to wait.

Every role (web, checker, worker) outlives an outage of its database instead of exiting: it
logs one line when the database is lost and one when it is back, and retries in between with a
growing pause (half a second at first, at most ``MAX_DELAY_SECONDS``), never a traceback per try.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connections

FIRST_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 10.0


def is_database_unavailable(exc: BaseException | None) -> bool:
    """True when ``exc`` says the database cannot be reached now, not that a query is wrong."""
    return isinstance(exc, OperationalError | InterfaceError)


def first_line(exception: BaseException) -> str:
    """The gist of a driver's error, which often runs over several lines."""
    text = str(exception).strip()
    return text.splitlines()[0] if text else type(exception).__name__


class Outage:
    """Shared by every loop of one process that talks to the database, so that the process logs
    one line per outage however many of its loops meet it."""

    def __init__(self, log: logging.Logger, clock: Callable[[], float] = time.monotonic) -> None:
        self.log = log
        self.clock = clock
        self.since: float | None = None
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return self.since is not None

    def lost(self, exc: BaseException) -> float:
        """Note a failed attempt; the seconds to wait before the next one. The pause grows with
        the outage's age, not with the number of attempts, so that loops sharing it agree."""
        with self._lock:
            now = self.clock()
            if self.since is None:
                self.since = now
                self.log.warning("database unavailable, waiting for it: %s", first_line(exc))
            elapsed = now - self.since
        return min(MAX_DELAY_SECONDS, max(FIRST_DELAY_SECONDS, elapsed / 2))

    def back(self) -> None:
        """Note a successful attempt: the end of the outage, if there was one."""
        if self.since is None:
            return
        with self._lock:
            if self.since is None:
                return
            lasted = self.clock() - self.since
            self.since = None
        self.log.warning("database available again after %.0f s", lasted)


def database_answers(alias: str = "default") -> bool:
    """One round trip to the database; a broken connection is dropped so the next one reconnects."""
    connection = connections[alias]
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except (OperationalError, InterfaceError):
        connection.close()
        raise
    return True


def wait_for_database(
    outage: Outage, stopped: Callable[[], bool] = lambda: False, sleep: Callable[[float], None] = time.sleep
) -> bool:
    """Until the database answers (True) or ``stopped()`` says to give up (False)."""
    while not stopped():
        try:
            database_answers()
        except (OperationalError, InterfaceError) as exc:
            sleep(outage.lost(exc))
            continue
        outage.back()
        return True
    return False
