"""How many checker processes one machine runs for its load (``veilleur up``).

One checker process runs its checks on one event-loop thread, so it uses one core at most and
holds a bounded number of checks a second. ``veilleur up`` adds ``veilleur checker`` processes
when the monitors' due rate needs them, never more processes than the machine has cores.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

# A count goes down only once the rate has fallen this far below what one process fewer holds,
# so that a rate hovering around a threshold does not start and stop a process every time.
SCALE_DOWN_MARGIN = 0.8


def due_rate(intervals: Iterable[tuple[int, int]]) -> float:
    """Checks due per second: the sum over monitors of 1 / interval, from (interval in seconds,
    number of monitors with it) pairs. Intervals that are not positive are not checked."""
    return sum(count / interval for interval, count in intervals if interval > 0 and count > 0)


def checker_processes(due_per_second: float, per_process: float, cores: int, running: int) -> int:
    """The number of checker processes (at least 1, at most ``cores``) for ``due_per_second``
    checks a second, when one process holds ``per_process`` and ``running`` run now.

    Up as soon as the running ones cannot hold the rate; down only when one process fewer holds
    it with room to spare (``SCALE_DOWN_MARGIN``).
    """
    if per_process <= 0:
        raise ValueError("per_process must be positive")
    ceiling = max(1, cores)
    needed = max(1, math.ceil(due_per_second / per_process))
    current = min(max(1, running), ceiling)
    if needed >= current:
        return min(needed, ceiling)
    # Fewer are enough: go down to the smallest count that holds the rate with the margin.
    wanted = current
    while wanted > 1 and due_per_second <= (wanted - 1) * per_process * SCALE_DOWN_MARGIN:
        wanted -= 1
    return wanted
