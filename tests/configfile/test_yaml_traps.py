"""YAML 1.1 surprises (12:30 as a number, no as false, dates) are handled, or reported clearly."""

from __future__ import annotations

from datetime import date

import pytest

from veilleur.accounts.models import Agency, BusinessCalendar
from veilleur.clients.models import Client
from veilleur.configfile.loader import read_document

from .conftest import MINIMAL, RunCli, WriteYaml

pytestmark = pytest.mark.django_db


def test_reader_keeps_times_and_yes_no_as_text() -> None:
    document = read_document("a: 12:30\nb: no\nc: yes\nd: 010\ne: 9:00-18:00\n")

    assert document.data == {"a": "12:30", "b": "no", "c": "yes", "d": "010", "e": "9:00-18:00"}


def test_reader_keeps_true_false_numbers_and_dates() -> None:
    document = read_document("a: true\nb: False\nc: 42\nd: 99.9\ne: 2026-12-25\nf: ~\n")

    assert document.data == {"a": True, "b": False, "c": 42, "d": 99.9, "e": date(2026, 12, 25), "f": None}


def test_reader_records_lines_of_keys_and_items() -> None:
    document = read_document("clients:\n  - key: a\n    sites:\n      - key: www\n")

    assert document.lines[("clients", 0, "sites", 0, "key")] == 4
    assert document.lines[("clients", 0, "key")] == 2


def test_unquoted_opening_hours_and_holidays_work(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    text = MINIMAL.replace(
        'mon: ["09:00-18:00"]',
        'mon: [09:00-12:30, 14:00-18:00]\n    sat: [10:00-12:30]\n  holidays: [2026-12-25, "2027-01-01"]',
    )

    result = run_cli("apply", write_yaml(text))

    assert result.status == 0, result.err
    calendar = BusinessCalendar.objects.get(agency=agency)
    assert calendar.weekly_hours == {"mon": ["09:00-12:30", "14:00-18:00"], "sat": ["10:00-12:30"]}
    assert calendar.holidays == ["2026-12-25", "2027-01-01"]


def test_words_yaml_1_1_calls_booleans_stay_text(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    result = run_cli("apply", write_yaml(MINIMAL.replace("name: Boulangerie Martin", "name: no")))

    assert result.status == 0, result.err
    assert Client.objects.get(key="boulangerie-martin").name == "no"


def test_a_lone_time_is_an_opening_hours_error(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    path = write_yaml(MINIMAL.replace('mon: ["09:00-18:00"]', "mon: [12:30]"))

    result = run_cli("apply", path)

    assert result.status == 2
    assert (
        f"{path}:5: calendar.hours.mon[0]: invalid opening hours '12:30': expected 'HH:MM-HH:MM'"
        in result.err
    )


def test_yes_is_not_a_boolean(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    path = write_yaml(MINIMAL.replace("timeout: 10", "timeout: 10\n            paused: yes"))

    result = run_cli("apply", path)

    assert result.status == 2
    assert (
        f"{path}:19: clients[0].sites[0].monitors[0].paused: expected true or false, got 'yes'" in result.err
    )


def test_number_where_text_is_expected_says_to_quote(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    path = write_yaml(MINIMAL.replace("name: Site vitrine", "name: 2026"))

    result = run_cli("apply", path)

    assert result.status == 2
    assert (
        f"{path}:14: clients[0].sites[0].name: expected text, got the number 2026 "
        "(put the value in quotes to keep it as text)"
    ) in result.err


def test_impossible_date_and_date_with_time_as_holidays(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    text = MINIMAL.replace(
        'mon: ["09:00-18:00"]', 'mon: ["09:00-18:00"]\n  holidays: [2026-13-01, 2026-12-25 10:00:00]'
    )
    path = write_yaml(text)

    result = run_cli("apply", path)

    assert result.status == 2
    assert f"{path}:6: calendar.holidays[0]: unreadable value '2026-13-01'" in result.err
    assert f"{path}:6: calendar.holidays[1]: expected a date YYYY-MM-DD, got the date and time" in result.err
    assert "2 problems found" in result.err


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]

    document = read_document("\n".join(lines) + "\n")

    assert any("expands to more than" in issue.message for issue in document.issues)
