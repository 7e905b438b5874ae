"""Prometheus metrics (docs/operations.md).

Two kinds of numbers, kept where they are true:

- What a process does (checks made, their lateness, the checker's write queue, the worker's jobs,
  outbox delivery failures) is counted in the process, in prometheus-client's default registry.
  ``veilleur up`` runs every role in one process, so its web role's ``/metrics`` shows them all;
  ``veilleur checker`` and ``veilleur worker`` on other hosts show theirs with ``--metrics-address``.
- What the database knows (leases held, monitors overdue, the outbox's oldest undelivered row) is
  read at scrape time by ``DatabaseCollector``: any web process tells it for the whole install,
  however many checkers and workers there are, and no process keeps it in memory.

The checker's hot path only increments: each check costs one counter increment and one
histogram observation on children bound in advance (bench/operations).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from veilleur.probes.outcome import ErrorClass

log = logging.getLogger("veilleur.metrics")

CHECKS = Counter(
    "veilleur_checks",
    "Checks made by this process, by outcome: ok, or the class of the failure.",
    ["outcome"],
)
# Seconds from a check's due time to its start: a checker that keeps up stays under a second.
CHECK_LATENESS = Histogram(
    "veilleur_check_lateness_seconds",
    "How late checks start after their due time (started minus due).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
)
WRITE_QUEUE_DEPTH = Gauge(
    "veilleur_checker_write_queue_depth",
    "Checks made and waiting for the checker's writer to store them.",
)
# The checker's self-health (checker/selfhealth.py): 1 while this process's checker is cut off.
CHECKER_IMPAIRED = Gauge(
    "veilleur_checker_impaired",
    "1 while this process's checker cannot reach the Internet and withholds its verdicts.",
)
VERDICTS_WITHHELD = Counter(
    "veilleur_checker_verdicts_withheld",
    "Checks whose verdict was not stored because this checker was cut off.",
)
JOB_DURATION = Histogram(
    "veilleur_worker_job_duration_seconds",
    "How long each run of a worker job took.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
JOB_FAILURES = Counter("veilleur_worker_job_failures", "Runs of a worker job that failed.", ["job"])
DELIVERY_FAILURES = Counter(
    "veilleur_outbox_delivery_failures",
    "Failed delivery attempts of outbox rows: retried later, or given up (the row is failed).",
    ["result"],
)

# Bound once: ``labels()`` takes a lock and builds a key on every call, too much per check.
_CHECK_OUTCOMES = {error_class.value: CHECKS.labels(error_class.value) for error_class in ErrorClass}


def count_check(error_class: str, lateness_seconds: float) -> None:
    """A check was made: ``error_class`` is empty (or "ok") when it passed."""
    counter = _CHECK_OUTCOMES.get(error_class or "ok")
    if counter is None:  # a class this release does not know: counted, not lost
        counter = _CHECK_OUTCOMES.setdefault(error_class, CHECKS.labels(error_class))
    counter.inc()
    CHECK_LATENESS.observe(max(0.0, lateness_seconds))


def count_delivery_failure(given_up: bool) -> None:
    DELIVERY_FAILURES.labels("failed" if given_up else "retrying").inc()


class DatabaseCollector(Collector):
    """Gauges read from the database when scraped; a database that cannot be reached gives
    ``veilleur_database_up 0`` and nothing else, never an error page."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db import DatabaseError

        up = GaugeMetricFamily("veilleur_database_up", "1 when the database answered this scrape.")
        try:
            families = list(self._read(datetime.now(UTC)))
        except DatabaseError as exc:
            log.warning("metrics: the database did not answer: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        from veilleur.notifications.models import OutboxMessage
        from veilleur.operations.lateness import overdue_monitors

        leases = GaugeMetricFamily(
            "veilleur_leases_held", "Monitors leased now, by the checker that holds them.", labels=["owner"]
        )
        for owner, count in held_leases(now).items():
            leases.add_metric([owner], count)
        yield leases

        overdue = GaugeMetricFamily(
            "veilleur_monitors_overdue",
            "Monitors due more than twice their interval ago and not checked yet.",
        )
        overdue.add_metric([], len(overdue_monitors(now)))
        yield overdue

        undelivered = OutboxMessage.objects.filter(
            state__in=[OutboxMessage.State.PENDING, OutboxMessage.State.SENDING]
        )
        oldest = undelivered.order_by("created_at").values_list("created_at", flat=True).first()
        age = GaugeMetricFamily(
            "veilleur_outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox row not delivered yet (0 when none waits).",
        )
        age.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        yield age
        pending = GaugeMetricFamily("veilleur_outbox_pending", "Outbox rows not delivered yet.")
        pending.add_metric([], undelivered.count())
        yield pending

        from veilleur.monitoring.models import CheckerOutage

        cut_off = GaugeMetricFamily(
            "veilleur_checkers_cut_off",
            "Checkers that cannot reach the Internet now (an open checker outage), by checker.",
            labels=["owner", "region"],
        )
        open_outages = CheckerOutage.objects.filter(ended_at__isnull=True)
        for owner, region in open_outages.values_list("owner", "region"):
            cut_off.add_metric([owner, region], 1)
        yield cut_off


def held_leases(now: datetime) -> dict[str, int]:
    from django.db.models import Count

    from veilleur.monitoring.models import MonitorRuntime

    rows = (
        MonitorRuntime.objects.exclude(lease_owner="")
        .filter(lease_expires_at__gte=now)
        .values("lease_owner")
        .annotate(count=Count("pk"))
    )
    return {row["lease_owner"]: row["count"] for row in rows}


_DATABASE_REGISTRY: CollectorRegistry | None = None


def database_registry() -> CollectorRegistry:
    """The registry of the database's gauges, apart from the process's own: a role's metrics
    server (``--metrics-address``) shows what its process did, the web role shows both."""
    global _DATABASE_REGISTRY
    if _DATABASE_REGISTRY is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(DatabaseCollector())
        _DATABASE_REGISTRY = registry
    return _DATABASE_REGISTRY


class MetricsAddressError(ValueError):
    pass


def serve_process_metrics(address: str) -> None:
    """Serve this process's metrics on ``address`` (``host:port``) from a thread of
    prometheus-client's own: what ``--metrics-address`` does for a checker or a worker."""
    from prometheus_client import start_http_server

    from veilleur.bind_address import split_bind

    parts = split_bind(address) if ":" in address else None
    if parts is None:
        raise MetricsAddressError(f"--metrics-address {address!r} is not host:port, e.g. 127.0.0.1:9101")
    host, port = parts
    try:
        start_http_server(port, addr=host or "0.0.0.0")
    except OSError as exc:
        raise MetricsAddressError(f"cannot listen on {address}: {exc.strerror or exc}") from None
    log.info("metrics served on http://%s/metrics", address)
