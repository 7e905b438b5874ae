"""What the checker's self-health costs: per check on the hot path, and per decision in an outage.

1. Per check: every probe is noted (``SelfHealth.watch``) and every stored check passes the
   writer's screen (``SelfHealth.screen``). Measured as CPU time per check of a probe that does
   nothing, watched and screened ("with") against the same probe alone ("without"),
   ``--checks`` checks; then set against the CPU of one real HTTP check on loopback (the probe
   of ``bench/operations/run.py``, reused from there), to say what share of a check it adds.
2. Per decision: ``judge`` over a window of sightings that all failed (its worst case: it reads
   them all), for a window of ``--window`` sightings and one of ten times as many, fastest of 50.

    .venv/bin/python bench/selfhealth/run.py [--checks 200000] [--window 2000] [--http-checks 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent


def _operations_bench() -> object:
    spec = importlib.util.spec_from_file_location("operations_bench", BENCH / "operations" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def per_check_cost(checks: int) -> tuple[float, float]:
    """CPU seconds per check without and with the self-health hooks."""
    from veilleur.checker.runner import Checker, CheckerSettings
    from veilleur.checker.selfhealth import SelfHealthSettings
    from veilleur.checker.work import CheckSpec, Completed, LeasedCheck, Observation
    from veilleur.domain.incidents import MonitorState, Phase

    now = datetime.now(UTC)
    observation = Observation(checked_at=now, ok=True, total_ms=80)

    async def nothing(spec: CheckSpec) -> Observation:
        return observation

    specs = [
        CheckSpec(f"https://site{n}.example/", "GET", {}, "200-399", "", "", 30, True) for n in range(1000)
    ]
    items = [
        Completed(
            LeasedCheck(
                monitor_id=n,
                due_at=now,
                next_slot_at=now,
                is_confirmation=False,
                interval_seconds=60,
                confirmations=1,
                spec=spec,
                state=MonitorState(phase=Phase.UP),
                streak_proof=[],
                last_checked_at=now - timedelta(seconds=60),
            ),
            observation,
        )
        for n, spec in enumerate(specs)
    ]
    checker = Checker(
        nothing, CheckerSettings(self_health=SelfHealthSettings(canary_urls=("https://c.example/",)))
    )

    async def run() -> tuple[float, float]:
        started = time.process_time()
        for n in range(checks):
            await nothing(specs[n % 1000])
        without = (time.process_time() - started) / checks
        started = time.process_time()
        for n in range(0, checks, 100):  # the writer screens batches
            batch = items[n % 1000 : n % 1000 + 100]
            for item in batch:
                await checker.prober(item.check.spec)
            await checker.health.screen(batch)
        with_hooks = (time.process_time() - started) / checks
        return without, with_hooks

    try:
        return asyncio.run(run())
    finally:
        checker._db.shutdown(wait=False)


def judge_time(window: int) -> float:
    from veilleur.domain.checker_health import Rules, Sighting, judge

    start = datetime(2026, 12, 4, 12, tzinfo=UTC)
    sightings = [
        Sighting(
            f"https://site{n % 5000}.example/",
            f"site{n % 5000}.example",
            start + timedelta(milliseconds=n),
            "dns",
        )
        for n in range(window)
    ]
    times = []
    for _ in range(50):
        began = time.perf_counter()
        judge(sightings, start, (), Rules())
        times.append(time.perf_counter() - began)
    return min(times)  # the least disturbed run: other jobs only ever add time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=200_000)
    parser.add_argument("--window", type=int, default=2000)
    parser.add_argument("--http-checks", type=int, default=2000)
    args = parser.parse_args()
    operations = _operations_bench()
    with tempfile.TemporaryDirectory(prefix="veilleur-bench-selfhealth-") as data_dir:
        operations.setup_django(data_dir)  # type: ignore[attr-defined]
        without, with_hooks = per_check_cost(args.checks)
        http = operations.check_cost(args.http_checks)  # type: ignore[attr-defined]
    added = with_hooks - without
    print(f"probe that does nothing, CPU per check: {without * 1e6:.2f} µs without hooks")
    print(f"probe that does nothing, CPU per check: {with_hooks * 1e6:.2f} µs with them")
    print(f"added per check: {added * 1e6:.2f} µs; HTTP probe on loopback: {http * 1e6:.0f} µs CPU per check")
    print(f"added / HTTP probe: {added / http:.2%}")
    for size in (args.window, args.window * 10):
        print(f"judge over {size:,} failed sightings: {judge_time(size) * 1000:.2f} ms (fastest of 50)")


if __name__ == "__main__":
    sys.exit(main())
