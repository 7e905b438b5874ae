"""The time a checker stamps its checks and schedules its monitors by.

On PostgreSQL, the database's clock. Every role of a multi-host install shares that database, so
its clock is the one reference they can all agree on, and a checker host whose clock is wrong or
stepped (an NTP step, ``date -s``) would otherwise stamp its checks that far off and schedule its
monitors from there: stepped ahead and back, it leaves them unchecked for the length of the step.
The checker reads the database's clock (``clock_timestamp()``, one round trip, the reading taken
as of the middle of it) when it starts and every ``SYNC_SECONDS`` after, and carries it forward in
between with the monotonic clock, which no step of the wall clock moves. While the database is
away, the last reading is carried forward.

On SQLite the database lives on the checker's own host and has no clock of its own: the host's
clock is the reference there, as it is for every other role of that install.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from django.db import connection

from veilleur.checker.work import CheckSpec, Observation

log = logging.getLogger("veilleur.checker")

SYNC_SECONDS = 10.0
# The host's clock this far from the database's is worth a line in the log (once per change).
NOTICEABLE_OFFSET = timedelta(seconds=1)


class CheckerClock:
    """Callable: the current time, by the database's clock where it has one."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._anchor: tuple[datetime, float] | None = None  # a reading and its monotonic time
        self._reported_offset = timedelta(0)

    def __call__(self) -> datetime:
        anchor = self._anchor  # one read: the database thread replaces it whole
        if anchor is None:
            return datetime.now(UTC)
        reading, at = anchor
        return reading + timedelta(seconds=self._monotonic() - at)

    def sync_if_due(self) -> None:
        """On the thread that holds the database connection: read the database's clock when the
        last reading is older than ``SYNC_SECONDS``. Raises what the driver raises when the
        database is away, like any other query."""
        if connection.vendor != "postgresql":
            return
        anchor = self._anchor
        if anchor is not None and self._monotonic() - anchor[1] < SYNC_SECONDS:
            return
        # Connected first: a connection opened inside the timed round trip (after an outage, under
        # load: a second or more) would date the reading that much too early.
        connection.ensure_connection()
        before = self._monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            (reading,) = cursor.fetchone()
        after = self._monotonic()
        self._anchor = (reading.astimezone(UTC), (before + after) / 2)
        # The reading is known to half the round trip: a difference within that is no difference.
        uncertainty = timedelta(seconds=(after - before) / 2)
        self._note_offset(datetime.now(UTC) - self(), uncertainty)

    def _note_offset(self, offset: timedelta, uncertainty: timedelta) -> None:
        """One log line when this host's clock drifts from the database's, and one when it is back."""
        if abs(offset - self._reported_offset) < NOTICEABLE_OFFSET + uncertainty:
            return
        self._reported_offset = offset
        if abs(offset) < NOTICEABLE_OFFSET + uncertainty:
            log.warning("this host's clock agrees with the database's again")
        else:
            log.warning(
                "this host's clock is %+.1f s off the database's: checks are stamped and scheduled "
                "by the database's clock",
                offset.total_seconds(),
            )


def stamped_by(
    prober: Callable[[CheckSpec], Awaitable[Observation]], clock: Callable[[], datetime]
) -> Callable[[CheckSpec], Awaitable[Observation]]:
    """``prober`` with each observation's times taken from ``clock``: a check starts when the
    checker starts it, by the checker's clock, whatever the host's wall clock said meanwhile."""

    async def probe(spec: CheckSpec) -> Observation:
        started = clock()
        seen = await prober(spec)
        shift = started - seen.checked_at
        completed = seen.completed_at + shift if seen.completed_at is not None else None
        return replace(seen, checked_at=started, completed_at=completed)

    return probe
