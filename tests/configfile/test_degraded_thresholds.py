"""Degraded-performance thresholds in the config file: applied, exported back unchanged, and bad
values refused by name with nothing written."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from veilleur.accounts.models import Agency
from veilleur.clients.models import Site
from veilleur.plans.models import Plan

from .conftest import MINIMAL, RunCli, WriteYaml, dump_database

pytestmark = pytest.mark.django_db

PLANS = """\
plans:
  - key: premium
    name: Premium
    check_interval_seconds: 30
    response_target_minutes: 30
    response_calendar: always
    performance_monitoring: true
    degraded_above_ms: 2500
    degraded_after_checks: 4
    degraded_baseline_factor: 1.5
"""


def _file(plan: tuple[str, str] | None = None, site_line: str = "") -> str:
    """MINIMAL on the premium plan above; ``plan`` replaces one of its lines (old, new)."""
    plans = PLANS.replace(*plan) if plan else PLANS
    text = MINIMAL.replace("plan: basic", "plan: premium")
    text = text.replace(
        "        url: https://www.boulangerie-martin.example/\n",
        f"        url: https://www.boulangerie-martin.example/\n{site_line}",
    )
    return plans + text


def test_thresholds_are_applied_and_exported_back(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml, tmp_path: Path
) -> None:
    applied = run_cli("apply", write_yaml(_file(site_line="        degraded_above_ms: 800\n")))
    assert applied.status == 0, applied.err
    plan = Plan.objects.get(agency=agency, key="premium")
    assert (plan.degraded_above_ms, plan.degraded_after_checks) == (2500, 4)
    assert plan.degraded_baseline_factor == Decimal("1.5")
    assert Site.objects.get(client__agency=agency, key="www").degraded_above_ms == 800

    before = dump_database()
    exported = tmp_path / "exported.yaml"
    assert run_cli("export", "-o", exported).status == 0
    again = run_cli("apply", exported, "--prune")
    assert again.status == 0, again.err
    assert again.out.strip() == "no changes"
    assert dump_database() == before


@pytest.mark.parametrize(
    ("plan", "site_line", "field"),
    [
        (None, "        degraded_above_ms: 50\n", "sites[0].degraded_above_ms"),
        (("degraded_after_checks: 4", "degraded_after_checks: 0"), "", "plans[0].degraded_after_checks"),
        (("degraded_above_ms: 2500", "degraded_above_ms: 200000"), "", "plans[0].degraded_above_ms"),
        (
            ("degraded_baseline_factor: 1.5", "degraded_baseline_factor: 1"),
            "",
            "plans[0].degraded_baseline_factor",
        ),
        (
            ("degraded_baseline_factor: 1.5", "degraded_baseline_factor: fast"),
            "",
            "plans[0].degraded_baseline_factor",
        ),
    ],
)
def test_bad_thresholds_are_refused_by_name(
    agency: Agency,
    run_cli: RunCli,
    write_yaml: WriteYaml,
    plan: tuple[str, str] | None,
    site_line: str,
    field: str,
) -> None:
    before = dump_database()
    result = run_cli("apply", write_yaml(_file(plan, site_line)))
    assert result.status == 2, result.out
    assert field in result.err, result.err
    assert dump_database() == before
