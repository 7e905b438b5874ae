"""A client's report settings in the config file: applied, exported back, bad values named with
their field and nothing written."""

from __future__ import annotations

import pytest
import yaml

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client

from .conftest import MINIMAL, RunCli, WriteYaml, dump_database

pytestmark = pytest.mark.django_db

SETTINGS = "    plan: basic\n    reports:\n      day: 5\n      language: en\n      send_after_days: 3\n"


def with_reports(block: str) -> str:
    return MINIMAL.replace("    plan: basic\n", block, 1)


def test_applied_and_exported_back(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    assert run_cli("apply", write_yaml(with_reports(SETTINGS))).status == 0
    client = Client.objects.get(key="boulangerie-martin")
    assert (client.report_day, client.report_language, client.report_send_after_days) == (5, "en", 3)
    assert client.reports_language == "en"

    exported = yaml.safe_load(run_cli("export").out)
    assert exported["clients"][0]["reports"] == {"day": 5, "language": "en", "send_after_days": 3}
    assert (
        run_cli("apply", write_yaml(yaml.safe_dump(exported, allow_unicode=True))).out.strip() == "no changes"
    )


def test_left_out_the_defaults_apply(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    run_cli("apply", write_yaml(with_reports(SETTINGS)))
    run_cli("apply", write_yaml(MINIMAL))
    client = Client.objects.get(key="boulangerie-martin")
    assert (client.report_day, client.report_language, client.report_send_after_days) == (None, "", 0)
    waits = "    plan: basic\n    reports:\n      send_after_days: null\n"
    run_cli("apply", write_yaml(with_reports(waits)))
    assert Client.objects.get(key="boulangerie-martin").report_send_after_days is None


@pytest.mark.parametrize(
    ("block", "field"),
    [
        ("    plan: basic\n    reports:\n      day: 29\n", "clients[0].reports.day"),
        ("    plan: basic\n    reports:\n      day: 0\n", "clients[0].reports.day"),
        ("    plan: basic\n    reports:\n      language: de\n", "clients[0].reports.language"),
        ("    plan: basic\n    reports:\n      send_after_days: 61\n", "clients[0].reports.send_after_days"),
        ("    plan: basic\n    reports:\n      send_after: 3\n", "clients[0].reports.send_after"),
    ],
)
def test_bad_values_are_named_and_nothing_is_written(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml, block: str, field: str
) -> None:
    before = dump_database()
    result = run_cli("apply", write_yaml(with_reports(block)))
    assert result.status == 2
    assert f"{field}:" in result.err
    assert dump_database() == before
