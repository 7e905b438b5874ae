"""The compact day strip and the component's day-by-day page: the strip draws exactly the day
states the page's data computes, the data's day bars equal the accounting engine's cut day by
day, and the day-by-day page says each day in words, for its own page's components only."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.statuspages.conftest import PageWorld, make_client_with_page, open_incident
from veilleur.accounts.models import Agency
from veilleur.clients.models import MaintenanceWindow
from veilleur.domain.accounting import percent_rounded_down, site_days, uptime_of
from veilleur.domain.statuspage import UptimeBand, uptime_band
from veilleur.incidents.models import Incident
from veilleur.incidents.updates import post_update
from veilleur.monitoring.models import Monitor, NoDataGap
from veilleur.statuspages.data import HISTORY_DAYS, page_data
from veilleur.statuspages.models import StatusComponent, StatusPage

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # the 90 days span the end of DST (25 Oct)
PATH = re.compile(r'<path class="band-(\w+)" d="([^"]*)"/>')
RUN = re.compile(r"M(\d+) 0h(\d+)v1h-\2z")


def get(path: str) -> tuple[int, str]:
    response = HttpClient().get(path, HTTP_HOST="127.0.0.1")
    return response.status_code, response.content.decode()


def strip_bands(svg: str) -> list[UptimeBand | None]:
    """Each day's colour as the strip draws it (None: a day no path covers)."""
    days: list[UptimeBand | None] = [None] * int(re.search(r'viewBox="0 0 (\d+) 1"', svg)[1])  # type: ignore[index]
    for band, runs in PATH.findall(svg):
        for first, length in RUN.findall(runs):
            for day in range(int(first), int(first) + int(length)):
                assert days[day] is None, f"day {day} drawn twice"
                days[day] = UptimeBand(band)
    return days


def strips_of(body: str) -> list[str]:
    return re.findall(r'<a class="strip"[^>]*>(<svg.*?</svg>)</a>', body)


def plant_history(world: PageWorld, now: datetime, seed: int) -> None:
    """Outages of a few minutes to a day and a half, some across midnight or the DST change,
    some inside maintenance, a degraded spell, no-data gaps, one outage still open."""
    rng = random.Random(seed)
    created = now - timedelta(days=100)
    Monitor.objects.filter(site__client=world.page.client).update(created_at=created)
    # The blog starts being watched 40 days ago: its first days have no data.
    Monitor.objects.filter(pk=world.blog_monitor.pk).update(created_at=now - timedelta(days=40, hours=5))
    for monitor in (world.shop_monitor, world.blog_monitor):
        for _ in range(6):
            start = now - timedelta(minutes=rng.randint(60, 89 * 24 * 60))
            open_incident(monitor, start, recovered=start + timedelta(minutes=rng.choice([3, 50, 600, 2200])))
        gap_start = now - timedelta(minutes=rng.randint(60, 80 * 24 * 60))
        NoDataGap.objects.create(
            monitor=monitor, started_at=gap_start, ended_at=gap_start + timedelta(hours=3)
        )
    Incident.objects.create(
        monitor=world.blog_monitor,
        kind=Incident.Kind.DEGRADED,
        first_failed_at=now - timedelta(days=3),
        confirmed_at=now - timedelta(days=3) + timedelta(seconds=30),
        recovered_at=now - timedelta(days=3) + timedelta(hours=2),
    )
    open_incident(world.shop_monitor, now - timedelta(minutes=20))
    MaintenanceWindow.objects.create(
        client=world.page.client,
        key="weekly",
        title="Weekly updates",
        start_date=(now - timedelta(days=95)).date(),
        start_time=time(23, 0),
        duration_minutes=120,  # across midnight
        rrule="FREQ=WEEKLY;BYDAY=TU",
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_day_bars_equal_the_engine_cut_day_by_day(world: PageWorld, seed: int) -> None:
    """The oracle is the code the page used before: the site's account cut into local days
    (``site_days``), and each day's outages found by looking at every incident."""
    plant_history(world, NOW, seed)
    data = page_data(world.page, NOW)
    zone = data.zone
    today = NOW.astimezone(zone).date()
    shown = [today - timedelta(days=HISTORY_DAYS - 1 - n) for n in range(HISTORY_DAYS)]
    for component, site in zip(data.components, (world.shop, world.blog), strict=True):
        by_day = {day.day: day for day in site_days(data.site_accounts[site.pk], zone)}
        incidents = list(Incident.objects.filter(monitor__site=site, kind=Incident.Kind.DOWN))
        assert [bar.day for bar in component.days] == shown
        for bar in component.days:
            oracle = by_day[bar.day]
            uptime = uptime_of(oracle.monitored, oracle.downtime)
            percent = None if uptime is None else percent_rounded_down(uptime)
            assert (bar.uptime_percent, bar.band, bar.downtime) == (
                percent,
                uptime_band(percent),
                oracle.downtime,
            )
            spans = sorted(
                (
                    (max(row.first_failed_at, oracle.start), min(row.recovered_at or NOW, oracle.end))
                    for row in incidents
                    if row.first_failed_at < oracle.end and (row.recovered_at or NOW) > oracle.start
                ),
            )
            assert [(span.start, span.end) for span in bar.outages] == spans, bar.day
    assert any(bar.band is UptimeBand.NO_DATA for bar in data.components[1].days)
    assert any(bar.band not in (UptimeBand.NO_DATA, UptimeBand.PERFECT) for bar in data.components[0].days)


@pytest.mark.parametrize("seed", [4, 5])
def test_the_strip_draws_each_day_state_of_the_page_data(world: PageWorld, seed: int) -> None:
    plant_history(world, timezone.now(), seed)
    status, body = get("/s/bakery/")
    data = page_data(world.page, timezone.now())
    assert status == 200
    strips = strips_of(body)
    assert len(strips) == 2
    for svg, component in zip(strips, data.components, strict=True):
        assert strip_bands(svg) == [bar.band for bar in component.days]
    # No element per day on the page any more, and every strip has its words.
    assert "<button" not in body.split('id="subscribe"')[0]
    assert body.count('class="visually-hidden"> — ') == 2


def test_each_strip_has_a_summary_in_words_and_a_link_to_its_days(world: PageWorld) -> None:
    Monitor.objects.filter(site__client=world.page.client).update(
        created_at=timezone.now() - timedelta(days=120)
    )
    Monitor.objects.filter(pk=world.blog_monitor.pk).update(
        created_at=timezone.now() - timedelta(days=9, hours=12)
    )
    start = timezone.now() - timedelta(days=5)
    open_incident(world.shop_monitor, start, recovered=start + timedelta(minutes=30))
    _status, body = get("/s/bakery/")
    shop, blog = (StatusComponent.objects.get(site=site) for site in (world.shop, world.blog))
    assert (
        f'href="/s/bakery/components/{shop.pk}/"' in body
        and f'href="/s/bakery/components/{blog.pk}/"' in body
    )
    assert "Web shop (public), last 90 days: 89 days at 100%, 1 day with downtime" in body
    blog_days = page_data(world.page, timezone.now()).components[1].days
    watched = sum(1 for bar in blog_days if bar.band is UptimeBand.PERFECT)
    assert 9 <= watched <= 11
    assert (
        f"Bakery blog (public), last 90 days: {watched} days at 100%, {90 - watched} days without data"
        in body
    )


def test_day_by_day_page_says_each_day_and_the_incidents(world: PageWorld) -> None:
    Monitor.objects.filter(site__client=world.page.client).update(
        created_at=timezone.now() - timedelta(days=120)
    )
    zone = ZoneInfo(world.page.client.time_zone)
    day = (timezone.now() - timedelta(days=6)).astimezone(zone).date()
    start = datetime.combine(day, time(10, 0), zone)
    incident = open_incident(world.shop_monitor, start, recovered=start + timedelta(minutes=30))
    post_update(incident, "identified", "The host network failed")
    shop = StatusComponent.objects.get(site=world.shop)
    status, body = get(f"/s/bakery/components/{shop.pk}/")
    assert status == 200
    assert "<h1>Web shop (public)</h1>" in body and "Operational" in body
    assert body.count('<tr id="day-') == 90
    row = re.search(rf'<tr id="day-{day.isoformat()}">(.*?)</tr>', body)
    assert row is not None
    assert "Down 30\xa0min" in row[1] and "Outage 10:00–10:30" in row[1] and "97.916%" in row[1]
    quiet = re.search(rf'<tr id="day-{(day - timedelta(days=1)).isoformat()}">(.*?)</tr>', body)
    assert quiet is not None and "No incidents" in quiet[1] and "100%" in quiet[1]
    assert "The host network failed" in body and f'id="incident-{incident.pk}"' in body
    assert "Bakery blog" not in body  # this component's page only


def test_day_by_day_page_in_french(world: PageWorld) -> None:
    StatusPage.objects.filter(pk=world.page.pk).update(language="fr")
    Monitor.objects.filter(site__client=world.page.client).update(
        created_at=timezone.now() - timedelta(days=120)
    )
    shop = StatusComponent.objects.get(site=world.shop)
    status, body = get(f"/s/bakery/components/{shop.pk}/")
    assert status == 200 and '<html lang="fr">' in body
    assert "Jour par jour" in body and "Aucun incident" in body
    _status, page = get("/s/bakery/")
    assert "90 jours à 100\xa0%" in page


def test_another_clients_or_agencys_component_answers_404(world: PageWorld, make_agency: object) -> None:
    florist = StatusComponent.objects.get(site=world.other_site)
    other_agency: Agency = make_agency(key="rival")  # type: ignore[operator]
    rival_page, _sites, _monitors = make_client_with_page(
        other_agency, "rival", "Rival", [("rsite", "Rival site")]
    )
    rival = rival_page.components.get()
    for pk in (florist.pk, rival.pk, 987654, 2**70):
        status, body = get(f"/s/bakery/components/{pk}/")
        assert status == 404, pk
        assert "Flower" not in body and "Rival" not in body, pk
    for path in ("/s/bakery/components/shop/", "/s/bakery/components/-1/", "/s/bakery/components/1"):
        assert get(path)[0] in (301, 404), path
    # Each component on its own page's address is there.
    assert get(f"/s/florist/components/{florist.pk}/")[0] == 200
    assert get(f"/s/rival/components/{rival.pk}/")[0] == 200


def test_day_by_day_page_of_a_protected_page_needs_the_password(world: PageWorld) -> None:
    world.page.visibility = StatusPage.Visibility.PASSWORD
    world.page.set_password("croissant-2026")
    world.page.save()
    shop = StatusComponent.objects.get(site=world.shop)
    browser = HttpClient(HTTP_HOST="127.0.0.1")
    locked = browser.get(f"/s/bakery/components/{shop.pk}/")
    assert locked.status_code == 401 and "Web shop" not in locked.content.decode()
    browser.post("/s/bakery/unlock/", {"password": "croissant-2026"})
    opened = browser.get(f"/s/bakery/components/{shop.pk}/")
    assert opened.status_code == 200 and "Web shop (public)" in opened.content.decode()
    assert opened["Cache-Control"] == "private, no-store"


def test_day_by_day_page_is_cached_until_the_state_changes(world: PageWorld) -> None:
    shop = StatusComponent.objects.get(site=world.shop)
    path = f"/s/bakery/components/{shop.pk}/"
    get(path)
    with CaptureQueriesContext(connection) as cached:
        status, body = get(path)
    assert status == 200 and len(cached.captured_queries) == 2  # the page, the component
    assert "Major outage" not in body
    open_incident(world.shop_monitor, timezone.now() - timedelta(minutes=5))
    assert "Major outage" in get(path)[1]


def test_page_size_does_not_grow_with_the_days_drawn(world: PageWorld) -> None:
    """A component's markup is a few hundred bytes, plus about 14 bytes per run of days drawn."""
    Monitor.objects.filter(site__client=world.page.client).update(
        created_at=timezone.now() - timedelta(days=120)
    )
    quiet = components_part(get("/s/bakery/")[1])
    for offset in range(1, 60, 2):  # an outage every other day: 60 runs instead of one
        start = timezone.now() - timedelta(days=offset)
        open_incident(world.shop_monitor, start, recovered=start + timedelta(minutes=5))
    busy = components_part(get("/s/bakery/")[1])
    assert len(quiet) < 2 * 1500
    assert len(busy) - len(quiet) < 60 * 20


def components_part(body: str) -> str:
    return body[body.index('<section class="components"') : body.index('<section class="past"')]


def test_a_window_over_every_component_says_so_instead_of_naming_them(world: PageWorld) -> None:
    soon = timezone.localtime(timezone.now() + timedelta(days=2), ZoneInfo(world.page.client.time_zone))
    everywhere = MaintenanceWindow.objects.create(
        client=world.page.client,
        key="all",
        title="Server move",
        start_date=soon.date(),
        start_time=time(6, 0),
        duration_minutes=60,
    )
    body = get("/s/bakery/")[1]
    notice = body[body.index("Server move") : body.index("</section>", body.index("Server move"))]
    assert "all components" in notice and "Web shop" not in notice
    everywhere.sites.set([world.blog])
    open_incident(world.blog_monitor, timezone.now() - timedelta(minutes=1))  # a new state version
    body = get("/s/bakery/")[1]
    notice = body[body.index("Server move") : body.index("</section>", body.index("Server move"))]
    assert "Bakery blog (public)" in notice and "all components" not in notice
