"""The config file sets a plan's CMS versions flag and domain expiry warnings, and refuses bad ones."""

from __future__ import annotations

import pytest

from veilleur.accounts.models import Agency
from veilleur.plans.models import Plan

from .conftest import MINIMAL, RunCli, WriteYaml, dump_database

pytestmark = pytest.mark.django_db

PLAN = """\
plans:
  - key: gold
    name: Or
    check_interval_seconds: 60
    response_target_minutes: 60
    response_calendar: always
    ssl_monitoring: true
    cms_versions: true
    domain_warning_days: {days}
"""


def test_the_flag_and_the_days_are_applied_and_exported(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    path = write_yaml(MINIMAL + PLAN.format(days="[60, 7]"))
    assert run_cli("apply", path).status == 0
    plan = Plan.objects.get(agency=agency, key="gold")
    assert (plan.cms_versions, plan.domain_warning_days) == (True, [60, 7])
    exported = run_cli("export").out
    assert "cms_versions: true" in exported
    assert "domain_warning_days:\n    - 60\n    - 7" in exported or "domain_warning_days: [60, 7]" in exported


def test_null_days_mean_no_warnings_and_the_flag_is_off_by_default(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    path = write_yaml(MINIMAL + PLAN.format(days="null").replace("    cms_versions: true\n", ""))
    assert run_cli("apply", path).status == 0
    plan = Plan.objects.get(agency=agency, key="gold")
    assert (plan.cms_versions, plan.domain_warning_days) == (False, [])


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("[0]", "plans[0].domain_warning_days[0]: "),
        ('["30"]', "plans[0].domain_warning_days[0]: "),
        ("[400]", "plans[0].domain_warning_days[0]: "),
        ("[7, 7]", "plans[0].domain_warning_days: 7 days is listed twice"),
        ("thirty", "plans[0].domain_warning_days: "),
    ],
)
def test_bad_days_name_the_field_and_change_nothing(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml, days: str, message: str
) -> None:
    path = write_yaml(MINIMAL + PLAN.format(days=days))
    before = dump_database()
    result = run_cli("apply", path)
    assert result.status == 2
    assert message in result.err
    assert "Traceback" not in result.err
    assert dump_database() == before
