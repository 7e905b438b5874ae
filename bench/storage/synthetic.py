"""A realistic synthetic day of checks for one monitor: 30 s cadence with scheduling jitter,
log-normal server times, a cached DNS most of the time, and a few failures."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from veilleur.domain.resultcodec import ResultRecord

CADENCE = timedelta(seconds=30)


def synthetic_results(
    rng: random.Random, start: datetime, hours: int, region: str = "eu-west"
) -> list[ResultRecord]:
    """Checks every 30 s from ``start`` for ``hours`` hours; each monitor has its own server speed."""
    server_median = rng.uniform(80, 600)
    network = rng.uniform(5, 40)
    records: list[ResultRecord] = []
    slot = start
    end = start + timedelta(hours=hours)
    while slot < end:
        jitter = timedelta(microseconds=int(rng.expovariate(1 / 30_000)))
        records.append(_one_check(rng, slot + jitter, server_median, network, region))
        slot += CADENCE
    return records


def _one_check(
    rng: random.Random, at: datetime, server_median: float, network: float, region: str
) -> ResultRecord:
    roll = rng.random()
    if roll < 0.002:
        return ResultRecord(
            checked_at=at, ok=False, error_class="timeout", message="no response within 10 s", region=region
        )
    dns = 0 if rng.random() < 0.8 else int(rng.lognormvariate(2.5, 0.5))
    connect = int(network * rng.lognormvariate(0, 0.15))
    tls = int(2 * network * rng.lognormvariate(0, 0.15))
    ttfb = int(server_median * rng.lognormvariate(0, 0.35))
    total = ttfb + int(rng.lognormvariate(2.0, 0.6))
    if roll < 0.004:
        return ResultRecord(
            checked_at=at,
            ok=False,
            error_class="status",
            status_code=503,
            dns_ms=dns,
            connect_ms=connect,
            tls_ms=tls,
            ttfb_ms=ttfb,
            total_ms=total,
            message="HTTP 503 Service Unavailable",
            region=region,
        )
    return ResultRecord(
        checked_at=at,
        ok=True,
        status_code=200,
        dns_ms=dns,
        connect_ms=connect,
        tls_ms=tls,
        ttfb_ms=ttfb,
        total_ms=total,
        region=region,
    )
