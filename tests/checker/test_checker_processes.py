"""How many checker processes `veilleur up` runs for a due rate (domain/checker_processes.py),
against a plain statement of the rule, and the due rate itself."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veilleur.checker.fleet import DEFAULT_PROCESS_RATE, FleetSettings, machine_cores
from veilleur.domain.checker_processes import SCALE_DOWN_MARGIN, checker_processes, due_rate


def oracle(rate: float, per_process: float, cores: int, running: int) -> int:
    """The rule, counted out: the fewest processes that hold the rate (at least one, at most one
    per core); fewer than run now only when one process fewer still has the margin to spare."""
    ceiling = max(1, cores)
    current = min(max(1, running), ceiling)
    holds = next(n for n in range(1, 10_000) if n * per_process >= rate)
    if holds >= current:
        return min(holds, ceiling)
    count = current
    for fewer in range(current - 1, 0, -1):
        if rate <= fewer * per_process * SCALE_DOWN_MARGIN:
            count = fewer
        else:
            break
    return count


@given(
    rate=st.floats(min_value=0, max_value=5_000, allow_nan=False),
    per_process=st.floats(min_value=1, max_value=1_000, allow_nan=False),
    cores=st.integers(min_value=0, max_value=16),
    running=st.integers(min_value=0, max_value=20),
)
def test_the_count_follows_the_rule(rate: float, per_process: float, cores: int, running: int) -> None:
    count = checker_processes(rate, per_process, cores, running)
    assert count == oracle(rate, per_process, cores, running)
    assert 1 <= count <= max(1, cores)


@given(
    rate=st.floats(min_value=0, max_value=5_000, allow_nan=False),
    per_process=st.floats(min_value=1, max_value=1_000, allow_nan=False),
    cores=st.integers(min_value=1, max_value=16),
)
def test_a_count_is_stable_once_reached(rate: float, per_process: float, cores: int) -> None:
    """Asked again with the same rate, the count it gave does not move: no start and stop loop."""
    first = checker_processes(rate, per_process, cores, running=1)
    assert checker_processes(rate, per_process, cores, running=first) == first


def test_the_default_install_stays_one_process() -> None:
    """1,000 monitors at 20 s (and the plans' 30 s) are one process of roles, on any machine."""
    for interval in (20, 30, 60, 180):
        rate = due_rate([(interval, 1000)])
        assert checker_processes(rate, DEFAULT_PROCESS_RATE, cores=64, running=1) == 1


def test_a_busy_install_gets_one_process_per_core_at_most() -> None:
    rate = due_rate([(30, 20_000)])  # 667 checks a second
    assert checker_processes(rate, DEFAULT_PROCESS_RATE, cores=2, running=1) == 2
    assert checker_processes(rate, DEFAULT_PROCESS_RATE, cores=8, running=1) == math.ceil(
        rate / DEFAULT_PROCESS_RATE
    )


def test_down_only_with_room_to_spare() -> None:
    assert checker_processes(95, 100, cores=4, running=2) == 2  # one holds it, barely: stay
    assert checker_processes(80, 100, cores=4, running=2) == 1
    assert checker_processes(0, 100, cores=4, running=3) == 1


@given(
    st.lists(
        st.tuples(st.integers(min_value=-5, max_value=3_600), st.integers(min_value=0, max_value=10_000))
    )
)
def test_the_due_rate_is_the_sum_of_one_over_interval(groups: list[tuple[int, int]]) -> None:
    exact = sum((Fraction(count, interval) for interval, count in groups if interval > 0), Fraction(0))
    assert due_rate(groups) == pytest.approx(float(exact), rel=1e-9, abs=1e-9)


def test_a_per_process_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="per_process"):
        checker_processes(10, 0, cores=2, running=1)


@pytest.mark.parametrize("value", ["abc", "0", "-3"])
def test_a_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("VEILLEUR_CHECKER_PROCESS_RATE", value)
    with pytest.raises(SystemExit, match=f"VEILLEUR_CHECKER_PROCESS_RATE must be .*{value!r}"):
        FleetSettings.from_env()


def test_the_settings_default_to_one_checker_per_core(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "VEILLEUR_CHECKER_PROCESS_RATE",
        "VEILLEUR_CHECKER_PROCESSES",
        "VEILLEUR_CHECKER_FLEET_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = FleetSettings.from_env()
    assert settings.most_processes == machine_cores()
    assert settings.per_process == DEFAULT_PROCESS_RATE
    monkeypatch.setenv("VEILLEUR_CHECKER_PROCESSES", "1")
    assert FleetSettings.from_env().most_processes == 1
