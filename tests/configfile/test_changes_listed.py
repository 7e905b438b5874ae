"""Each change is listed, one line per object: + created, ~ changed (field old → new), - deleted."""

from __future__ import annotations

import pytest

from veilleur.accounts.models import Agency, BusinessCalendar
from veilleur.clients.models import MaintenanceWindow
from veilleur.monitoring.models import Monitor

from .conftest import MINIMAL, RunCli, WriteYaml

pytestmark = pytest.mark.django_db


def test_changed_monitor_field_is_shown_old_to_new(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", write_yaml(MINIMAL))

    result = run_cli("apply", write_yaml(MINIMAL.replace("timeout: 10", "timeout: 5")))

    assert result.status == 0, result.err
    assert "~ monitor boulangerie-martin/www/home: timeout 10 → 5" in result.out.splitlines()
    assert "1 change applied" in result.out
    assert Monitor.objects.get(key="home").timeout_seconds == 5


def test_several_fields_of_one_object_share_a_line(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", write_yaml(MINIMAL))
    changed = MINIMAL.replace(
        "timeout: 10", "timeout: 5\n            paused: true\n            interval: 240"
    )

    result = run_cli("apply", write_yaml(changed))

    line = "~ monitor boulangerie-martin/www/home: timeout 10 → 5, interval null → 240, paused false → true"
    assert line in result.out.splitlines()


def test_new_nested_objects_are_listed_under_their_parent(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", write_yaml(MINIMAL))
    more = MINIMAL.replace(
        "            timeout: 10\n",
        "            timeout: 10\n          - key: contact\n            url: https://www.boulangerie-martin.example/contact\n",
    )

    result = run_cli("apply", write_yaml(more))

    assert result.out.splitlines()[0] == "+ monitor boulangerie-martin/www/contact"


def test_calendar_change_is_described_and_raises_its_version(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", write_yaml(MINIMAL))
    version = BusinessCalendar.objects.get(agency=agency).version
    changed = MINIMAL.replace(
        'mon: ["09:00-18:00"]', 'mon: ["09:00-12:30", "14:00-18:00"]\n  holidays: [2026-12-25]'
    )

    result = run_cli("apply", write_yaml(changed))

    assert (
        '~ calendar: hours.mon ["09:00-18:00"] → ["09:00-12:30", "14:00-18:00"], holidays +2026-12-25'
        in result.out.splitlines()
    )
    assert BusinessCalendar.objects.get(agency=agency).version == version + 1


def test_window_start_and_sites_changes(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    run_cli("apply", write_yaml(MINIMAL))
    changed = MINIMAL.replace('"2026-01-06 22:00"', '"2026-01-13 23:30"').replace(
        "rrule: FREQ=WEEKLY;BYDAY=TU", "rrule: FREQ=WEEKLY;BYDAY=TU\n        sites: [www]"
    )

    result = run_cli("apply", write_yaml(changed))

    assert (
        "~ maintenance window boulangerie-martin/weekly: "
        "start 2026-01-06 22:00 → 2026-01-13 23:30, sites +www" in result.out.splitlines()
    )
    window = MaintenanceWindow.objects.get(key="weekly")
    assert list(window.sites.values_list("key", flat=True)) == ["www"]


def test_moving_a_client_to_another_plan(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    run_cli("apply", write_yaml(MINIMAL))

    result = run_cli("apply", write_yaml(MINIMAL.replace("plan: basic", "plan: premium")))

    assert "~ client boulangerie-martin: plan basic → premium" in result.out.splitlines()
