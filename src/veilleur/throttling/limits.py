"""A limiter whose counters are rows in the database, so that every web process (and every host
of a multi-host install) counts the same attempts.

An attempt first *reserves* its place: one row per limit is written, then the rows inside each
window are counted, the new one included. Over a limit, the rows are taken back and the attempt
is refused, so refused attempts do not prolong the wait; within every limit the attempt goes on,
and an attempt that turns out not to count (the right password) releases its rows. On
PostgreSQL a transaction-scoped advisory lock per subject makes the count exact under
concurrency; SQLite's write transactions are serial already.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import ngettext

from veilleur.throttling.models import Attempt


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` per ``window`` for one subject of ``scope``."""

    scope: str
    attempts: int
    window: timedelta


@dataclass(frozen=True)
class Refused:
    """The attempt was over a limit; one more is allowed after ``retry_after``."""

    limit: Limit
    retry_after: timedelta

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(self.retry_after.total_seconds()))

    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after_seconds / 60))
        return ngettext(
            "Too many attempts. Try again in %(minutes)d minute.",
            "Too many attempts. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}


@dataclass
class Reservation:
    """The rows an allowed attempt holds; ``release()`` when the attempt must not count."""

    row_ids: list[int] = field(default_factory=list)

    def release(self) -> None:
        Attempt.objects.filter(pk__in=self.row_ids).delete()
        self.row_ids = []


def _lock(scope: str, subject: str) -> None:
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"{scope}\0{subject}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def reserve(checks: Sequence[tuple[Limit, str]], now: datetime | None = None) -> Reservation | Refused:
    """Count one attempt against each ``(limit, subject)``; refused when any is over its limit."""
    now = now or timezone.now()
    with transaction.atomic():
        for limit, subject in sorted(checks, key=lambda check: (check[0].scope, check[1])):
            _lock(limit.scope, subject)
        rows = []
        for limit, subject in checks:
            Attempt.objects.filter(scope=limit.scope, at__lte=now - limit.window).delete()
            rows.append(Attempt.objects.create(scope=limit.scope, subject=subject, at=now))
        for limit, subject in checks:
            in_window = Attempt.objects.filter(scope=limit.scope, subject=subject, at__gt=now - limit.window)
            if in_window.count() > limit.attempts:
                Attempt.objects.filter(pk__in=[row.pk for row in rows]).delete()
                oldest = in_window.order_by("at").values_list("at", flat=True).first() or now
                return Refused(limit, oldest + limit.window - now)
    return Reservation([row.pk for row in rows])
