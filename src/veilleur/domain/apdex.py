"""Apdex (DESIGN.md §5): responses up to T satisfy, up to 4T are tolerated, slower ones and
failures frustrate. Apdex(T) = (satisfied + tolerating / 2) / total."""

from __future__ import annotations

from enum import Enum


class ApdexZone(Enum):
    SATISFIED = "satisfied"
    TOLERATING = "tolerating"
    FRUSTRATED = "frustrated"


def apdex_zone(ok: bool, total_ms: float, threshold_ms: int) -> ApdexZone:
    """Where one check falls for threshold T (in ms)."""
    if threshold_ms <= 0:
        raise ValueError("the Apdex threshold must be positive")
    if not ok:
        return ApdexZone.FRUSTRATED
    if total_ms <= threshold_ms:
        return ApdexZone.SATISFIED
    if total_ms <= 4 * threshold_ms:
        return ApdexZone.TOLERATING
    return ApdexZone.FRUSTRATED


def apdex(satisfied: int, tolerating: int, total: int) -> float | None:
    """The score in [0, 1], or None when nothing was sampled (no score is not a perfect score)."""
    if satisfied < 0 or tolerating < 0 or satisfied + tolerating > total:
        raise ValueError(f"inconsistent Apdex counts: {satisfied} + {tolerating} of {total}")
    if total == 0:
        return None
    return (satisfied + tolerating / 2) / total
