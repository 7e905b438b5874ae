"""A monitor's and a site's state right now, in the words the staff pages use.

A monitor is paused, down (a confirmed outage is open), degraded (a slowness incident is open),
in maintenance (a window covers now), up (it has been checked), or without data (never checked
yet). A site takes the worst state of its monitors; a site whose monitors are all paused is
paused, one without monitors has no data.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class LiveState(StrEnum):
    DOWN = "down"
    DEGRADED = "degraded"
    MAINTENANCE = "maintenance"
    UP = "up"
    NO_DATA = "no_data"
    PAUSED = "paused"


# Worst first: a site shows the first of these any of its checked monitors is in.
_SEVERITY = (LiveState.DOWN, LiveState.DEGRADED, LiveState.MAINTENANCE, LiveState.UP, LiveState.NO_DATA)


def monitor_state(
    *, paused: bool, down: bool, degraded: bool, in_maintenance: bool, checked: bool
) -> LiveState:
    if paused:
        return LiveState.PAUSED
    if down:
        return LiveState.DOWN
    if degraded:
        return LiveState.DEGRADED
    if in_maintenance:
        return LiveState.MAINTENANCE
    return LiveState.UP if checked else LiveState.NO_DATA


def site_state(monitor_states: Iterable[LiveState]) -> LiveState:
    states = set(monitor_states)
    if states and states == {LiveState.PAUSED}:
        return LiveState.PAUSED
    return next((state for state in _SEVERITY if state in states), LiveState.NO_DATA)
