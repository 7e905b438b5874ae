"""A site's figures add up, and the report, the status page and the API give the same one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.api.conftest import Api, issue_token
from tests.reports.conftest import NOW
from veilleur.clients.models import Client, Site
from veilleur.reports.data import monthly_report
from veilleur.reports.formatting import duration
from veilleur.reports.render import render_html
from veilleur.statuspages.data import page_data
from veilleur.statuspages.models import StatusComponent, StatusPage


@pytest.mark.django_db
def test_a_site_is_down_while_any_monitor_is(client_with_two_monitors: Client) -> None:
    report = monthly_report(client_with_two_monitors, 2026, 10, NOW)
    (site,) = report.sites
    outages = [row for row in site.incidents if row.counted > timedelta(0)]
    assert len(outages) == 3
    each = sum((row.counted for row in outages), timedelta(0))
    # The home page 10:00–10:45 and the shop 10:30–11:05 overlap 15 minutes, counted once.
    assert site.combined.overlap == timedelta(minutes=15)
    assert site.combined.downtime == each - timedelta(minutes=15)
    monitored = site.combined.monitored
    expected = 1 - site.combined.downtime / monitored
    assert site.combined.uptime is not None and float(site.combined.uptime) == pytest.approx(expected)
    # The credit follows that figure, not a mean of the monitors' figures.
    assert site.service_credit_percent is not None
    assert report.combined.downtime == site.combined.downtime


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
def test_printed_rows_add_up_to_the_printed_total(client_with_two_monitors: Client, language: str) -> None:
    report = monthly_report(client_with_two_monitors, 2026, 10, NOW)
    (site,) = report.sites
    rows = sum(row.counted_seconds for row in site.incidents)
    assert rows - site.overlap_shown.total_seconds() == site.downtime_shown.total_seconds()
    html = render_html(report, language)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ").replace("\u202f", " ")
    # The 14:17:50 → 14:20:10 outage reads 2 min 20 s, not "2 min".
    assert "2 min 20 s" in text
    assert duration(site.overlap_shown).replace("\u00a0", " ") in text  # the overlap is said
    assert duration(site.downtime_shown).replace("\u00a0", " ") in text


@pytest.mark.django_db
def test_report_status_page_and_api_agree(client_with_two_monitors: Client) -> None:
    client = client_with_two_monitors
    site = Site.objects.get(client=client)
    report = monthly_report(client, 2026, 10, NOW)
    (site_report,) = report.sites

    page = StatusPage.objects.create(client=client, slug="boulangerie", title="Statut", language="fr")
    StatusComponent.objects.create(page=page, site=site, position=0)
    (component,) = page_data(page, NOW).components
    bars = {bar.day: bar.uptime_percent for bar in component.days}
    for day in site_report.days:
        if day.day in bars:
            assert bars[day.day] == day.uptime_percent, day.day

    api = Api(issue_token(client.agency))
    month = api.get(f"/sites/{site.pk}/uptime", {"month": "2026-10"})
    assert month.status_code == 200, month.content
    body = month.json()
    assert body["uptime_percent"] == float(site_report.combined.uptime_percent or 0)
    assert body["downtime_seconds"] == site_report.combined.downtime.total_seconds()
    assert body["overlap_seconds"] == site_report.combined.overlap.total_seconds()
    assert body["monitors"] == 2

    window = api.get(
        f"/sites/{site.pk}/uptime",
        {"start": (NOW - timedelta(days=30)).isoformat(), "end": NOW.isoformat()},
    )
    assert window.status_code == 200, window.content
    assert window.json()["uptime_percent"] == float(component.uptime["30d"] or 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "0000-05"}, "month"),
        ({"month": "9999-12"}, "month"),
        ({"month": "2026-10", "start": "2026-10-01T00:00:00Z"}, "month"),
        ({"start": "2026-10-01T00:00:00Z"}, "end"),
        ({}, "start"),
        ({"start": "2026-10-02T00:00:00Z", "end": "2026-10-01T00:00:00Z"}, "end"),
    ],
)
def test_bad_uptime_queries_name_the_field(
    client_with_history: Client, params: dict[str, str], field: str
) -> None:
    site = Site.objects.get(client=client_with_history)
    answer = Api(issue_token(client_with_history.agency)).get(f"/sites/{site.pk}/uptime", params)
    assert answer.status_code == 422
    assert field in answer.json()["fields"]
