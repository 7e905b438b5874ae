"""The slowness rules and the degraded spans, against a brute-force oracle that re-reads the whole
history at every check."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.degradation import (
    BASELINE_WINDOW,
    MIN_BASELINE_DAYS,
    MIN_BASELINE_SAMPLES,
    MIN_WINDOW_SAMPLES,
    DegradedSpan,
    SlownessRule,
    TimedCheck,
    baseline_p95,
    degraded_spans,
    slowness,
)
from veilleur.domain.histogram import LatencyHistogram

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@st.composite
def check_sequences(draw: st.DrawFn) -> list[TimedCheck]:
    gaps = draw(st.lists(st.integers(1, 400), min_size=0, max_size=80))
    checks = []
    at = START
    for gap in gaps:
        at += timedelta(seconds=gap)
        ok = draw(st.integers(0, 5)) > 0  # mostly successes, some failures
        total = draw(st.one_of(st.none(), st.integers(1, 6000)))
        checks.append(TimedCheck(at=at, ok=ok, total_ms=total))
    return checks


rules = st.builds(
    SlownessRule,
    above_ms=st.integers(100, 5000),
    after_checks=st.integers(1, 5),
    baseline_factor=st.sampled_from([1.2, 1.5, 2.0, 3.0]),
    baseline_p95_ms=st.one_of(st.none(), st.floats(50, 3000)),
)


def oracle_slowness(checks: list[TimedCheck], rule: SlownessRule) -> list[bool | None]:
    flags: list[bool | None] = []
    for index, check in enumerate(checks):
        if not check.ok or check.total_ms is None:
            flags.append(None)
            continue
        window = sorted(
            earlier.total_ms
            for earlier in checks[: index + 1]
            if earlier.ok and earlier.total_ms is not None and check.at - earlier.at < BASELINE_WINDOW
        )
        p95 = window[math.ceil(0.95 * len(window)) - 1]
        over_baseline = (
            rule.baseline_p95_ms is not None
            and len(window) >= MIN_WINDOW_SAMPLES
            and p95 > rule.baseline_factor * rule.baseline_p95_ms
        )
        flags.append(check.total_ms > rule.above_ms or over_baseline)
    return flags


def oracle_spans(
    checks: list[TimedCheck], flags: list[bool | None], after: int, open_span: DegradedSpan | None
) -> list[DegradedSpan]:
    """At each judged check, look back at the judged checks since the last change of state: the
    state changes when the last ``after`` of them all point the other way."""
    judged = [(check, slow) for check, slow in zip(checks, flags, strict=True) if slow is not None]
    spans: list[DegradedSpan] = []
    current = open_span
    since = 0  # index in ``judged`` of the first check after the last change
    for index in range(len(judged)):
        tail = judged[max(since, index - after + 1) : index + 1]
        if len(tail) < after:
            continue
        wanted = current is None  # closed: a slow streak opens; open: a normal streak clears
        if all(slow == wanted for _check, slow in tail):
            if current is None:
                current = DegradedSpan(first_slow_at=tail[0][0].at, confirmed_at=tail[-1][0].at)
            else:
                spans.append(
                    DegradedSpan(current.first_slow_at, current.confirmed_at, tail[0][0].at, tail[-1][0].at)
                )
                current = None
            since = index + 1
    if current is not None and current is not open_span:
        spans.append(current)
    return spans


@given(check_sequences(), rules)
def test_slowness_matches_the_oracle(checks: list[TimedCheck], rule: SlownessRule) -> None:
    assert slowness(checks, rule) == oracle_slowness(checks, rule)


@given(check_sequences(), rules, st.booleans())
def test_spans_match_the_oracle(checks: list[TimedCheck], rule: SlownessRule, already_open: bool) -> None:
    flags = slowness(checks, rule)
    open_span = (
        DegradedSpan(START - timedelta(hours=1), START - timedelta(minutes=50)) if already_open else None
    )
    spans = degraded_spans(checks, flags, rule.after_checks, open_span)
    assert spans == oracle_spans(checks, flags, rule.after_checks, open_span)
    for span in spans:
        assert span.first_slow_at <= span.confirmed_at
        if span.recovered_at is not None:
            assert span.resolved_at is not None
            assert span.confirmed_at < span.recovered_at <= span.resolved_at
    assert all(span.resolved_at is not None for span in spans[:-1])


@given(check_sequences(), rules)
def test_failures_neither_extend_nor_break_a_streak(checks: list[TimedCheck], rule: SlownessRule) -> None:
    """Removing the failed checks changes nothing: they are the DOWN machinery's business."""
    successes = [check for check in checks if check.ok and check.total_ms is not None]
    with_failures = degraded_spans(checks, slowness(checks, rule), rule.after_checks)
    without = degraded_spans(successes, slowness(successes, rule), rule.after_checks)
    assert with_failures == without


def _checks(*totals: int | None, every: int = 30) -> list[TimedCheck]:
    return [
        TimedCheck(START + timedelta(seconds=every * i), total is not None, total)
        for i, total in enumerate(totals)
    ]


def test_a_slow_streak_opens_then_a_normal_streak_clears() -> None:
    rule = SlownessRule(above_ms=3000, after_checks=3, baseline_factor=2.0, baseline_p95_ms=None)
    checks = _checks(200, 4000, 4100, None, 4200, 300, 4500, 250, 260, 270, 280)
    [span] = degraded_spans(checks, slowness(checks, rule), 3)
    assert span.first_slow_at == checks[1].at  # the first slow check of the streak
    assert span.confirmed_at == checks[4].at  # the failed check in between neither counts nor breaks
    assert span.recovered_at == checks[7].at  # the first of the clearing streak, after the slow one
    assert span.resolved_at == checks[9].at


def test_the_baseline_rule_fires_under_the_threshold() -> None:
    rule = SlownessRule(above_ms=3000, after_checks=2, baseline_factor=2.0, baseline_p95_ms=400)
    checks = _checks(*[900] * 8)
    flags = slowness(checks, rule)
    assert flags[: MIN_WINDOW_SAMPLES - 1] == [False] * (MIN_WINDOW_SAMPLES - 1)  # too few checks yet
    assert all(flags[MIN_WINDOW_SAMPLES - 1 :])


def test_no_baseline_without_enough_history() -> None:
    per_day = MIN_BASELINE_SAMPLES // (MIN_BASELINE_DAYS - 1) + 1
    short = [LatencyHistogram.of([300] * per_day) for _ in range(MIN_BASELINE_DAYS - 1)]
    assert baseline_p95(short) is None  # enough samples, too few days
    thin = [LatencyHistogram.of([300]) for _ in range(MIN_BASELINE_DAYS)]
    assert baseline_p95(thin) is None  # enough days, too few samples
    enough = [*short, LatencyHistogram.of([300] * per_day)]
    p95 = baseline_p95(enough)
    assert p95 is not None and p95 == pytest.approx(300, rel=0.1)


def test_after_checks_is_at_least_one() -> None:
    with pytest.raises(ValueError, match="after_checks"):
        degraded_spans([], [], 0)
