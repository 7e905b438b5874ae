from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.browser import chromium
from tests.dashboard.conftest import add_site
from veilleur.history.jobs import compact_finished_hours
from veilleur.lab.models import LabRun, LabStatus
from veilleur.monitoring.models import CheckResult

pytestmark = pytest.mark.django_db(transaction=True)


def test_shots(live_server: Any, agency: Any, owner: Any, chromium_path: str, client: Any) -> None:
    now = timezone.now()
    monitor = add_site(agency, "boulangerie", plan="premium", checked_ago=None)
    start = now - timedelta(days=7)
    rows = []
    for i in range(7 * 24 * 6):
        at = start + timedelta(minutes=10 * i)
        rows.append(
            CheckResult(
                monitor=monitor,
                checked_at=at,
                ok=True,
                dns_ms=(4 if i % 5 else 30),
                connect_ms=18 + i % 7,
                tls_ms=40 + i % 11,
                ttfb_ms=250 + (i * 37) % 300 + (200 if (i // 144) == 3 else 0),
                total_ms=700,
            )
        )
    CheckResult.objects.bulk_create(rows)
    compact_finished_hours(now)
    for d in range(6):
        day = now.date() - timedelta(days=d)
        if d == 2:
            LabRun.objects.create(
                site=monitor.site,
                day=day,
                status=LabStatus.NO_BROWSER,
                started_at=now,
                url=monitor.site.url,
                error="Chromium is not installed at /usr/bin/chromium",
            )
        elif d == 4:
            LabRun.objects.create(
                site=monitor.site,
                day=day,
                status=LabStatus.FAILED,
                started_at=now,
                url=monitor.site.url,
                error="the page could not be loaded: net::ERR_CONNECTION_REFUSED at https://boulangerie.example/",
            )
        else:
            LabRun.objects.create(
                site=monitor.site,
                day=day,
                status=LabStatus.MEASURED,
                started_at=now,
                finished_at=now,
                url=monitor.site.url,
                ttfb_ms=180 + d,
                lcp_ms=2100 + 50 * d,
                cls=0.04 * d,
                transferred_bytes=1_800_000 + d * 1000,
                request_count=42,
                blocked_requests=1 if d == 1 else 0,
            )
    client.force_login(owner)
    session = client.cookies["sessionid"].value
    with chromium(chromium_path) as browser:
        for lang, locale in (("fr", "fr-FR"), ("en", "en-GB")):
            for width in (1280, 390):
                ctx = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
                ctx.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
                page = ctx.new_page()
                for rng in ("7d", "24h"):
                    page.goto(f"{live_server.url}/sites/{monitor.site.pk}/?range={rng}")
                    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                    page.screenshot(full_page=True, path=f"/tmp/phases_shots/site_{lang}_{width}_{rng}.png")
                ctx.close()
