"""Apdex(T) = (satisfied + tolerating / 2) / total; satisfied ≤ T < tolerating ≤ 4T; failures frustrate."""

from __future__ import annotations

import pytest

from veilleur.domain.apdex import ApdexZone, apdex, apdex_zone


@pytest.mark.parametrize(
    ("ok", "total_ms", "zone"),
    [
        (True, 0, ApdexZone.SATISFIED),
        (True, 500, ApdexZone.SATISFIED),
        (True, 501, ApdexZone.TOLERATING),
        (True, 2000, ApdexZone.TOLERATING),
        (True, 2001, ApdexZone.FRUSTRATED),
        (False, 10, ApdexZone.FRUSTRATED),
    ],
)
def test_zones_at_the_edges(ok: bool, total_ms: int, zone: ApdexZone) -> None:
    assert apdex_zone(ok, total_ms, 500) is zone


def test_score() -> None:
    assert apdex(60, 30, 100) == pytest.approx(0.75)
    assert apdex(10, 0, 10) == 1.0
    assert apdex(0, 0, 5) == 0.0


def test_nothing_sampled_is_no_score() -> None:
    assert apdex(0, 0, 0) is None


def test_inconsistent_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        apdex(5, 6, 10)
    with pytest.raises(ValueError):
        apdex_zone(True, 10, 0)
