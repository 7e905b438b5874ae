"""``veilleur export`` writes the format ``apply`` reads: export → apply finds nothing to change."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, MaintenanceWindow, Site
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan

from .conftest import EXAMPLE, RunCli, dump_database

pytestmark = pytest.mark.django_db


def test_round_trip_of_the_example(agency: Agency, run_cli: RunCli, tmp_path: Path) -> None:
    run_cli("apply", EXAMPLE)
    exported = tmp_path / "exported.yaml"
    before = dump_database()

    export = run_cli("export", "-o", exported)
    result = run_cli("apply", exported, "--prune")

    assert export.status == 0, export.err
    assert result.status == 0, result.err
    assert result.out.strip() == "no changes"
    assert dump_database() == before


def test_round_trip_of_values_the_example_does_not_use(
    agency: Agency, run_cli: RunCli, tmp_path: Path
) -> None:
    premium = Plan.objects.get(agency=agency, key="premium")
    premium.uptime_target_percent = Decimal("99.950")
    premium.save()
    client = Client.objects.create(
        agency=agency, key="no", name="yes", plan=premium, language="en", accent_color="#abcdef"
    )
    site = Site.objects.create(client=client, key="on", name="12:30", url="http://127.0.0.1:8080/")
    Monitor.objects.create(
        site=site,
        key="api",
        url="http://127.0.0.1:8080/api?x=1#y",
        method="POST",
        request_headers={"X-Token": "010", "Accept": "*/*"},
        expected_status="200-299,301",
        keyword="true",
        interval_seconds=45,
        timeout_seconds=3,
        paused=True,
        follow_redirects=False,
    )
    window = MaintenanceWindow.objects.create(
        client=client,
        key="once",
        title="2026-01-01",
        start_date=date(2026, 3, 29),
        start_time=time(2, 30, 15),
        duration_minutes=5,
    )
    window.sites.set([site])
    exported = tmp_path / "exported.yaml"
    before = dump_database()

    run_cli("export", "-o", exported)
    result = run_cli("apply", exported)

    assert result.status == 0, result.err
    assert result.out.strip() == "no changes"
    assert dump_database() == before


def test_export_to_standard_output_is_stable_and_complete(agency: Agency, run_cli: RunCli) -> None:
    run_cli("apply", EXAMPLE)

    first = run_cli("export")
    second = run_cli("export")

    assert first.status == 0
    assert first.out == second.out
    data = yaml.safe_load(first.out)
    assert list(data) == ["agency", "calendar", "plans", "clients", "channels", "on_call"]
    assert [plan["key"] for plan in data["plans"]] == ["basic", "premium", "standard"]
    assert list(data["clients"][0]) == [
        "key",
        "name",
        "plan",
        "language",
        "time_zone",
        "reports",
        "contacts",
        "portal_users",
        "sites",
        "maintenance_windows",
    ]
    monitor = data["clients"][0]["sites"][0]["monitors"][0]
    assert list(monitor) == [
        "key",
        "url",
        "method",
        "headers",
        "expected_status",
        "keyword",
        "forbidden_keyword",
        "timeout",
        "follow_redirects",
        "interval",
        "paused",
    ]


def test_plans_are_always_exported(agency: Agency, run_cli: RunCli) -> None:
    data = yaml.safe_load(run_cli("export").out)

    assert [plan["name"] for plan in data["plans"]] == ["Basic", "Premium", "Standard"]
    assert data["clients"] == []
