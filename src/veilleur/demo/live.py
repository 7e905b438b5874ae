"""The demo after ``veilleur up``: its clients' sites are made up (``.example`` names, which never
resolve), so the checker does not probe them — it would only record DNS failures and turn a
healthy demo into outages, alerts and "major outage" pages. It records, instead, a successful
check at the speed the demo's history gave the site, so the history goes on as it began."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from veilleur.checker.work import Observation
from veilleur.demo import catalogue

DEFAULT_MEDIAN_MS = 300
DEFAULT_SPREAD = 0.25


def demo_observation(url: str, at: datetime, rng: random.Random | None = None) -> Observation:
    median_ms, spread = _speed_of(url)
    draw = rng or random.Random()
    total = max(20, round(draw.lognormvariate(0, spread) * median_ms))
    ttfb = max(10, round(total * 0.8))
    return Observation(
        checked_at=at,
        ok=True,
        status_code=200,
        dns_ms=2,
        connect_ms=max(1, total // 20),
        tls_ms=max(1, total // 12) if url.startswith("https://") else None,
        ttfb_ms=ttfb,
        total_ms=total,
        completed_at=at + timedelta(milliseconds=total),
    )


def _speed_of(url: str) -> tuple[int, float]:
    """The typical latency the catalogue gives the site of ``url``; a middle one otherwise."""
    for client in catalogue.CLIENTS:
        for site in client.sites:
            if url.startswith(site.url):
                return site.median_ms, site.spread
    return DEFAULT_MEDIAN_MS, DEFAULT_SPREAD
