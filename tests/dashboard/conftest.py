"""Agencies with clients, sites and monitors in a known state, for the overview and the queue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from veilleur.accounts.models import Agency, StaffUser
from veilleur.clients.models import Client, Site
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckResult, Monitor, MonitorRuntime
from veilleur.plans.models import Plan

MakeSite = Callable[..., Monitor]


def add_site(
    agency: Agency,
    key: str,
    *,
    plan: str = "standard",
    client: Client | None = None,
    checked_ago: timedelta | None = timedelta(seconds=20),
    down_since: timedelta | None = None,
    paused: bool = False,
    now: datetime | None = None,
) -> Monitor:
    """A site with one monitor, checked ``checked_ago`` (None: never), down for ``down_since``."""
    now = now or timezone.now()
    if client is None:
        client = Client.objects.create(
            agency=agency, key=key, name=key.title(), plan=Plan.objects.get(agency=agency, key=plan)
        )
    site = Site.objects.create(client=client, key=key, name=f"Site {key}", url=f"https://{key}.example/")
    monitor = Monitor.objects.create(
        site=site, key="home", url=site.url, paused=paused, created_at=now - timedelta(days=40)
    )
    if checked_ago is not None:
        checked_at = now - checked_ago
        MonitorRuntime.objects.create(
            monitor=monitor,
            due_at=now,
            next_slot_at=now,
            last_checked_at=checked_at,
            last_ok=down_since is None,
        )
        CheckResult.objects.create(
            monitor=monitor, checked_at=checked_at, ok=down_since is None, total_ms=120, error_class=""
        )
    if down_since is not None:
        failed = now - down_since
        Incident.objects.create(
            monitor=monitor,
            first_failed_at=failed,
            confirmed_at=failed + timedelta(seconds=5),
            cause_error_class="http_status",
            cause_status_code=503,
            sla_due_at=failed + timedelta(hours=1),
        )
    return monitor


@pytest.fixture
def signed_in(client: HttpClient, owner: StaffUser) -> HttpClient:
    client.force_login(owner)
    return client
