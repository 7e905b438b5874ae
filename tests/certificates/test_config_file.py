"""The plans' certificate thresholds in the config file: applied, exported, refused when bad."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.configfile.conftest import MINIMAL, RunCli, WriteYaml, dump_database
from veilleur.accounts.models import Agency
from veilleur.plans.models import Plan

pytestmark = pytest.mark.django_db

PLAN = """\
plans:
  - key: watch
    name: Watch
    check_interval_seconds: 60
    response_target_minutes: 60
    response_calendar: business
    ssl_monitoring: true
{extra}"""


def test_thresholds_are_applied_and_exported(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    extra = "    certificate_warning_days: [21, 7, 2]\n    certificate_lifetime_fraction: 0.25\n"
    path = write_yaml(MINIMAL + PLAN.format(extra=extra))
    result = run_cli("apply", path)
    assert result.status == 0, result.err
    plan = Plan.objects.get(agency=agency, key="watch")
    assert plan.certificate_warning_days == [21, 7, 2]
    assert plan.certificate_lifetime_fraction == Decimal("0.25")
    exported = run_cli("export")
    assert (
        "certificate_warning_days:\n    - 21\n    - 7\n    - 2" in exported.out
        or "[21, 7, 2]" in exported.out
    )
    assert "certificate_lifetime_fraction: 0.25" in exported.out
    assert run_cli("apply", path).status == 0  # nothing changes the second time
    default = Plan.objects.get(agency=agency, key="premium")
    assert default.certificate_warning_days == [30, 14, 7, 3, 1]


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ("    certificate_warning_days: [30, 30]\n", "certificate_warning_days", "listed twice"),
        ("    certificate_warning_days: [0]\n", "certificate_warning_days", "greater than or equal to 1"),
        ('    certificate_warning_days: ["7"]\n', "certificate_warning_days", "whole number"),
        (
            "    certificate_lifetime_fraction: 1.5\n",
            "certificate_lifetime_fraction",
            "must lie between 0.01 and 0.9",
        ),
        (
            "    certificate_lifetime_fraction: 0.33333\n",
            "certificate_lifetime_fraction",
            "at most 4 decimal places",
        ),
    ],
)
def test_bad_thresholds_are_refused_naming_the_field(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml, extra: str, field: str, message: str
) -> None:
    before = dump_database()
    result = run_cli("apply", write_yaml(MINIMAL + PLAN.format(extra=extra)))
    assert result.status == 2
    assert f"plans[0].{field}" in result.err and message in result.err, result.err
    assert dump_database() == before
