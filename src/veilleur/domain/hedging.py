"""Hedged confirmation: re-checking a site that does not answer while its check still waits.

A failure is confirmed by ``confirmations`` more failed checks (domain/incidents.py). Made one
after the other, the re-checks of a site that hangs each wait a full timeout: three timeouts
before anyone knows. Hedged, they start while the first check is still unanswered, a little
apart, so the confirmation is known about one timeout after the first check started.

The rules, pure so that they can be checked against a brute-force oracle:

- A check is hedged only when its failure would need confirming (the monitor is up, the plan
  asks for confirmations) and when the first re-check can start well before the timeout
  (``hedge_starts``).
- Re-checks start at ``after``, ``after + spacing``, … from the first check's start, while it is
  still unanswered; one not started when the first check completes is never started.
- When the first check succeeds, the re-checks are cancelled and dropped: nothing is recorded of
  them. When it fails, the re-checks that started are its confirmations (``in_record_order``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from veilleur.domain.incidents import MonitorState, Phase

# The first re-check starts at least this many times earlier than the timeout, or hedging buys
# too little to be worth the extra requests.
MIN_GAIN_FACTOR = 2


def worth_hedging(state: MonitorState, confirmations: int, in_maintenance: bool) -> bool:
    """Whether a failure of this check would wait for confirmations: only then can re-checks made
    early shorten anything. During a maintenance window a failure opens nothing; while an incident
    is open a failure needs no confirming; a pending streak is confirmed by this very check."""
    return state.phase is Phase.UP and confirmations > 0 and not in_maintenance


def hedge_starts(timeout: float, confirmations: int, after: float, spacing: float) -> list[float]:
    """When each re-check starts, in seconds from the first check's start: ``confirmations`` of
    them from ``after`` on, ``spacing`` apart, all before the timeout. None when ``after`` is not
    well under the timeout (``MIN_GAIN_FACTOR``) or hedging is off (``after`` ≤ 0)."""
    if after <= 0 or confirmations <= 0 or after * MIN_GAIN_FACTOR > timeout:
        return []
    starts = [after + index * max(0.0, spacing) for index in range(confirmations)]
    return [start for start in starts if start < timeout]


@dataclass(frozen=True)
class Timed:
    """A check as the ordering needs it: when it started, when its verdict was known."""

    started_at: datetime
    completed_at: datetime
    ok: bool


def kept_rechecks(first_ok: bool, rechecks: list[Timed]) -> list[Timed]:
    """The re-checks that are recorded: none when the first check succeeded (cancelled, dropped),
    every one that ran when it failed."""
    return [] if first_ok else list(rechecks)


def in_record_order(first: Timed, rechecks: list[Timed]) -> list[Timed]:
    """The first check then its re-checks, in the order they started (the state machine's time
    order), each known only once every check before it is: they are recorded together, so a
    verdict never counts before the ones it follows. A re-check that was refused at once while
    the first check still waited is known when the first one is."""
    ordered = [first, *sorted(rechecks, key=lambda check: check.started_at)]
    known = ordered[0].completed_at
    result = []
    for check in ordered:
        known = max(known, check.completed_at, check.started_at)
        result.append(replace(check, completed_at=known))
    return result
