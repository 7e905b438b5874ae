"""The worker's lab job: each day, each site whose plan has performance monitoring is loaded once
in headless Chromium (``probes.lab``) and its page metrics recorded in a :class:`LabRun`.

One page per run of the job, so the worker's other jobs (the outbox, SLA timers) wait at most
one page load (``probes.lab.PAGE_TIMEOUT_SECONDS``); while sites are still due the job says it
is unfinished and the worker comes back to it right after the others.

Several workers: a site is claimed by inserting its row for the day (the unique (site, day) key
lets one insert win); a row left ``running`` by a worker killed mid-page is taken over with a
compare-and-set once its lease has expired, and the result is written only by the worker that
holds the claim. Where Chromium (or Playwright) is missing, each due site gets a
``no_browser`` row for the day and one log line says why: nothing is retried until the next day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from veilleur.clients.models import Site
from veilleur.lab.models import LabRun, LabStatus
from veilleur.monitoring.models import Monitor
from veilleur.outage import is_database_unavailable
from veilleur.probes import lab
from veilleur.probes.guard import AddressGuard

log = logging.getLogger("veilleur.lab")

LAB_PERIOD_SECONDS = 60
# Longer than a page can take (the measurement is time-boxed), so a live claim is never taken over.
LEASE = timedelta(minutes=10)
ERROR_LENGTH = LabRun._meta.get_field("error").max_length or 500


@dataclass(frozen=True)
class LabOutcome:
    site_id: int | None
    status: str
    unfinished: bool  # more sites are due today: the worker runs the job again after the others

    def __str__(self) -> str:
        return f"site {self.site_id}: {self.status}" if self.site_id else self.status


def measured_sites() -> QuerySet[Site]:
    """Sites whose plan includes performance monitoring and that are watched (a monitor not
    paused); made-up demo sites are never loaded."""
    watched = Monitor.objects.filter(site=OuterRef("pk"), paused=False)
    return Site.objects.filter(client__plan__performance_monitoring=True, client__demo=False).filter(
        Exists(watched)
    )


def due_sites(day: date, now: datetime) -> QuerySet[Site]:
    """Measured sites without a row for ``day``, or whose row's claim has expired."""
    settled = LabRun.objects.filter(site=OuterRef("pk"), day=day).exclude(
        status=LabStatus.RUNNING, started_at__lt=now - LEASE
    )
    return measured_sites().exclude(Exists(settled)).order_by("pk")


def measure_next_site(now: datetime) -> LabOutcome | None:
    """Measure one due site (today, UTC); None when every measured site has today's row."""
    day = now.date()
    missing = lab.browser_missing_reason(settings.VEILLEUR_CHROMIUM_PATH)
    if missing:
        return _record_missing_browser(day, now, missing)
    for site in due_sites(day, now)[:5]:  # a few, in case another worker claims the first ones
        run = _claim(site, day, now)
        if run is not None:
            status = _measure(run)
            return LabOutcome(site.pk, status, unfinished=due_sites(day, now).exists())
    return None


def _record_missing_browser(day: date, now: datetime, reason: str) -> LabOutcome | None:
    sites = list(due_sites(day, now).values_list("pk", "url"))
    if not sites:
        return None
    LabRun.objects.bulk_create(
        [
            LabRun(
                site_id=pk,
                day=day,
                status=LabStatus.NO_BROWSER,
                started_at=now,
                finished_at=now,
                url=url,
                error=reason[:ERROR_LENGTH],
            )
            for pk, url in sites
        ],
        ignore_conflicts=True,
    )
    # Stale claims of the day become "not measured" as well.
    LabRun.objects.filter(day=day, status=LabStatus.RUNNING, started_at__lt=now - LEASE).update(
        status=LabStatus.NO_BROWSER, finished_at=now, error=reason[:ERROR_LENGTH]
    )
    log.warning("lab page metrics not measured today for %d site(s): %s", len(sites), reason)
    return LabOutcome(None, f"not measured: {reason}", unfinished=False)


def _claim(site: Site, day: date, now: datetime) -> LabRun | None:
    """The day's row of ``site``, claimed by this worker; None when another worker holds it."""
    try:
        with transaction.atomic():
            return LabRun.objects.create(site=site, day=day, started_at=now, url=site.url)
    except IntegrityError:
        pass
    stale = LabRun.objects.filter(site=site, day=day, status=LabStatus.RUNNING, started_at__lt=now - LEASE)
    previous = stale.values_list("started_at", flat=True).first()
    if previous is None:
        return None
    taken = LabRun.objects.filter(site=site, day=day, status=LabStatus.RUNNING, started_at=previous).update(
        started_at=now, url=site.url
    )
    return LabRun.objects.get(site=site, day=day) if taken == 1 else None


def _measure(run: LabRun) -> str:
    guard = AddressGuard(allow_private=bool(settings.VEILLEUR_ALLOW_PRIVATE_TARGETS))
    try:
        metrics = lab.measure(run.url, executable_path=settings.VEILLEUR_CHROMIUM_PATH, guard=guard)
    except lab.BrowserMissing as exc:
        return _finish(run, LabStatus.NO_BROWSER, error=str(exc))
    except lab.LabFailure as exc:
        return _finish(run, LabStatus.FAILED, error=str(exc))
    except Exception as exc:
        if is_database_unavailable(exc):
            raise
        log.exception("lab page metrics of site %s failed", run.site_id)
        return _finish(run, LabStatus.FAILED, error="the browser stopped unexpectedly")
    return _finish(
        run,
        LabStatus.MEASURED,
        ttfb_ms=metrics.ttfb_ms,
        lcp_ms=metrics.lcp_ms,
        cls=metrics.cls,
        transferred_bytes=metrics.transferred_bytes,
        request_count=metrics.request_count,
        blocked_requests=metrics.blocked_requests,
    )


def _finish(run: LabRun, status: LabStatus, error: str = "", **metrics: object) -> str:
    """Write the result, only while this worker still holds the claim (compare-and-set)."""
    written = LabRun.objects.filter(pk=run.pk, status=LabStatus.RUNNING, started_at=run.started_at).update(
        status=status, finished_at=timezone.now(), error=error[:ERROR_LENGTH], **metrics
    )
    return str(status) if written else "claim lost to another worker"
