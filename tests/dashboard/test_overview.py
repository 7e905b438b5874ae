"""The overview: states, filters, sorting, pagination, figures, tenancy, a constant query count."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.dashboard.conftest import add_site
from tests.history.conftest import result_row
from veilleur.accounts.models import Agency, StaffUser
from veilleur.clients.models import Client
from veilleur.dashboard.overview import SiteFilter, _hourly_figures, site_rows
from veilleur.domain.accounting import Period, percent_rounded_down
from veilleur.domain.overview import SiteState
from veilleur.history.accounting import site_account
from veilleur.history.jobs import compact_finished_hours, floor_hour
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckResult, Monitor
from veilleur.plans.models import Plan


def shown(page: Any) -> list[tuple[str, str]]:
    return [(row.site_name, row.state) for row in page.context["page"].object_list]


def test_states_problems_first(signed_in: HttpClient, owner: StaffUser) -> None:
    agency = owner.agency
    add_site(agency, "alpha")
    add_site(agency, "bravo", down_since=timedelta(minutes=12))
    add_site(agency, "charlie", checked_ago=None)
    add_site(agency, "delta", paused=True)
    add_site(agency, "echo", checked_ago=timedelta(hours=2))
    page = signed_in.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert shown(page) == [
        ("Site bravo", SiteState.DOWN),
        ("Site charlie", SiteState.NO_DATA),
        ("Site echo", SiteState.NO_DATA),
        ("Site delta", SiteState.PAUSED),
        ("Site alpha", SiteState.UP),
    ]
    html = page.content.decode()
    assert 'hx-get="/overview/rows"' in html and "every 15s" in html
    assert "left" in html  # the response clock of bravo's open incident


def test_filters_by_state_plan_client_and_text(signed_in: HttpClient, owner: StaffUser) -> None:
    agency = owner.agency
    add_site(agency, "alpha", plan="basic")
    bravo = add_site(agency, "bravo", plan="premium", down_since=timedelta(minutes=3))
    add_site(agency, "bravo-blog", client=bravo.site.client)
    add_site(agency, "charlie", plan="premium", checked_ago=None)
    premium = Plan.objects.get(agency=agency, key="premium")

    assert shown(signed_in.get("/?state=down")) == [("Site bravo", SiteState.DOWN)]
    assert {name for name, _ in shown(signed_in.get("/?state=problems"))} == {"Site bravo", "Site charlie"}
    assert {name for name, _ in shown(signed_in.get(f"/?plan={premium.pk}"))} == {
        "Site bravo",
        "Site bravo-blog",
        "Site charlie",
    }
    client_page = signed_in.get(f"/?client={bravo.site.client_id}&sort=site")
    assert shown(client_page) == [("Site bravo", SiteState.DOWN), ("Site bravo-blog", SiteState.UP)]
    assert f'<option value="{bravo.site.client_id}" selected>' in client_page.content.decode()
    assert shown(signed_in.get("/?q=CHARLIE.example")) == [("Site charlie", SiteState.NO_DATA)]
    # The refreshing fragment answers the same rows for the same query, and only the region.
    fragment = signed_in.get("/overview/rows?state=down")
    assert shown(fragment) == [("Site bravo", SiteState.DOWN)]
    assert b"<html" not in fragment.content and b'id="overview-rows"' in fragment.content
    assert b'hx-get="/overview/rows?state=down"' in fragment.content


def test_a_bad_filter_names_its_field_and_shows_everything(signed_in: HttpClient, owner: StaffUser) -> None:
    add_site(owner.agency, "alpha")
    page = signed_in.get("/?state=on-fire&plan=abc&sort=nope", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert set(page.context["filters"].errors) == {"state", "plan", "sort"}
    assert shown(page) == [("Site alpha", SiteState.UP)]


def test_sort_by_oldest_check_and_pagination_keeps_filters(signed_in: HttpClient, owner: StaffUser) -> None:
    agency = owner.agency
    for number in range(55):
        add_site(agency, f"site-{number:02d}", checked_ago=timedelta(seconds=number))
    first = signed_in.get("/?sort=last_check&q=site-")
    names = [name for name, _ in shown(first)]
    assert len(names) == 50 and names[:2] == ["Site site-54", "Site site-53"]
    assert 'href="?sort=last_check&amp;q=site-&amp;page=2"' in first.content.decode()
    second = signed_in.get("/?sort=last_check&q=site-&page=2")
    assert [name for name, _ in shown(second)] == [f"Site site-{n:02d}" for n in range(4, -1, -1)]


def test_uptime_is_the_accounting_engines(signed_in: HttpClient, owner: StaffUser) -> None:
    """A 30-minute outage yesterday afternoon: the 24-hour figure is the one ``site_account``
    (reports, status pages, API) gives; a monitor created a minute ago has nothing to count yet."""
    now = timezone.now()
    monitor = add_site(owner.agency, "alpha")
    failed = now - timedelta(hours=20)
    Incident.objects.create(
        monitor=monitor,
        first_failed_at=failed,
        confirmed_at=failed + timedelta(seconds=5),
        recovered_at=failed + timedelta(minutes=30),
        resolved_at=failed + timedelta(minutes=30, seconds=5),
        cause_error_class="timeout",
    )
    fresh = add_site(owner.agency, "bravo", checked_ago=None)
    type(fresh).objects.filter(pk=fresh.pk).update(created_at=timezone.now() + timedelta(minutes=1))
    page = signed_in.get("/?sort=site", HTTP_ACCEPT_LANGUAGE="en")
    alpha, bravo = page.context["page"].object_list
    expected = site_account(monitor.site, Period(now - timedelta(hours=24), now), now).uptime
    assert expected is not None and alpha.uptime_24h == percent_rounded_down(expected)
    assert alpha.uptime_24h < 100 and alpha.p95_ms is not None
    assert bravo.uptime_24h is None and bravo.uptime_month is None
    assert "n/a" in page.content.decode()


def test_queries_do_not_grow_with_the_rows(signed_in: HttpClient, owner: StaffUser) -> None:
    agency = owner.agency

    def queries_for(count: int, prefix: str) -> int:
        for number in range(count):
            add_site(
                agency, f"{prefix}-{number}", down_since=timedelta(minutes=5) if number % 3 == 0 else None
            )
        with CaptureQueriesContext(connection) as captured:
            page = signed_in.get(f"/?q={prefix}-")
        assert len(page.context["page"].object_list) == count
        return len(captured)

    assert queries_for(10, "small") == queries_for(50, "large")


def test_another_agencys_sites_never_show(signed_in: HttpClient, owner: StaffUser, make_agency: Any) -> None:
    other: Agency = make_agency(key="rival", name="Rival")
    add_site(other, "secret", down_since=timedelta(minutes=3))
    add_site(owner.agency, "alpha")
    secret_client = Client.objects.get(agency=other)
    for address in ("/", f"/?client={secret_client.pk}", "/overview/rows"):
        page = signed_in.get(address)
        assert b"secret" not in page.content.lower()
    assert shown(signed_in.get("/")) == [("Site alpha", SiteState.UP)]


def test_a_new_agency_is_told_how_to_start(signed_in: HttpClient) -> None:
    page = signed_in.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b"veilleur apply" in page.content and b"veilleur demo" in page.content


def test_a_client_without_sites_is_listed(signed_in: HttpClient, owner: StaffUser) -> None:
    Client.objects.create(
        agency=owner.agency,
        key="newco",
        name="Newco",
        plan=Plan.objects.get(agency=owner.agency, key="basic"),
    )
    page = signed_in.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert [row.client_name for row in page.context["page"].object_list] == ["Newco"]
    assert b"no site yet" in page.content


@pytest.mark.parametrize("address", ["/", "/overview/rows"])
def test_sign_in_first(client: HttpClient, db: None, address: str) -> None:
    page = client.get(address)
    assert page.status_code == 302 and page["Location"].startswith("/login/")


def test_hours_still_in_raw_results_read_as_their_compacted_rollups(owner: StaffUser) -> None:
    """Two monitors of one site, checks interleaved over two finished hours and the current one:
    the figures the overview rolls up from raw results (a monitor-hour at a time) are those it
    reads once compaction has stored them."""
    now = floor_hour(timezone.now()) + timedelta(minutes=30)
    first = add_site(owner.agency, "alpha", now=now)
    second = Monitor.objects.create(
        site=first.site, key="shop", url=first.site.url + "shop", created_at=first.created_at
    )
    CheckResult.objects.filter(monitor=first).delete()
    rng = random.Random(7)
    start = floor_hour(now) - timedelta(hours=2)
    rows = [
        result_row(monitor, start + timedelta(seconds=seconds + offset), rng)
        for seconds in range(0, int((now - start).total_seconds()), 120)
        for monitor, offset in ((first, 0), (second, 7))
    ]
    CheckResult.objects.bulk_create(rows)
    page = [row for row in site_rows(owner.agency, now, SiteFilter()) if row.site_id == first.site_id]
    ids = [first.pk, second.pk]

    raw = _hourly_figures(ids, page, now)
    report = compact_finished_hours(now)
    stored = _hourly_figures(ids, page, now)

    assert report.hours == 4  # two finished hours of two monitors
    for monitor_id in ids:
        assert len(raw[monitor_id]) == 3  # two finished hours and the current one
        assert raw[monitor_id] == stored[monitor_id]
