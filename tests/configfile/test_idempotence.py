"""Applying the same file again finds nothing to do and writes nothing."""

from __future__ import annotations

import pytest

from veilleur.accounts.models import Agency, BusinessCalendar

from .conftest import EXAMPLE, MINIMAL, RunCli, WriteYaml, dump_database

pytestmark = pytest.mark.django_db


def test_second_apply_of_the_example_says_no_changes(agency: Agency, run_cli: RunCli) -> None:
    first = run_cli("apply", EXAMPLE)
    after_first = dump_database()

    second = run_cli("apply", EXAMPLE)

    assert first.status == 0, first.err
    assert second.status == 0, second.err
    assert second.out.strip() == "no changes"
    assert dump_database() == after_first


def test_second_apply_does_not_bump_the_calendar_version(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    path = write_yaml(MINIMAL)
    run_cli("apply", path)
    version = BusinessCalendar.objects.get(agency=agency).version

    run_cli("apply", path)

    assert BusinessCalendar.objects.get(agency=agency).version == version


def test_equivalent_spellings_are_no_change(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    run_cli("apply", write_yaml(MINIMAL))
    respelled = MINIMAL.replace('mon: ["09:00-18:00"]', "mon: [9:00 - 18:00]").replace(
        "claire@boulangerie", "Claire@Boulangerie"
    )

    result = run_cli("apply", write_yaml(respelled, "respelled.yaml"))

    assert result.status == 0, result.err
    assert result.out.strip() == "no changes"
