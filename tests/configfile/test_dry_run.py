"""--dry-run lists exactly what a real apply would do, and changes nothing."""

from __future__ import annotations

import pytest

from veilleur.accounts.models import Agency

from .conftest import EXAMPLE, MINIMAL, RunCli, WriteYaml, dump_database

pytestmark = pytest.mark.django_db


def _change_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line[:2] in ("+ ", "~ ", "- ")]


def test_dry_run_lists_the_changes_and_writes_nothing(agency: Agency, run_cli: RunCli) -> None:
    before = dump_database()

    dry = run_cli("apply", EXAMPLE, "--dry-run")

    assert dry.status == 0, dry.err
    assert "nothing was changed" in dry.out
    assert dump_database() == before
    real = run_cli("apply", EXAMPLE)
    assert _change_lines(dry.out) == _change_lines(real.out)
    assert len(_change_lines(real.out)) > 20


def test_dry_run_of_an_update_and_a_prune(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    run_cli("apply", EXAMPLE)
    before = dump_database()

    dry = run_cli("apply", write_yaml(MINIMAL.replace("timeout: 10", "timeout: 7")), "--dry-run", "--prune")

    assert dry.status == 0, dry.err
    monitor_line = next(line for line in dry.out.splitlines() if line.startswith("~ monitor"))
    assert monitor_line.startswith("~ monitor boulangerie-martin/www/home: ")
    assert "timeout 10 → 7" in monitor_line
    assert "- client maison-rousseau: with 2 sites, 3 monitors, 1 contact, 2 maintenance windows" in dry.out
    assert dump_database() == before


def test_dry_run_on_an_empty_install_creates_no_agency(db: None, run_cli: RunCli) -> None:
    result = run_cli("apply", EXAMPLE, "--dry-run")

    assert result.status == 0, result.err
    assert dump_database() == {name: [] for name in dump_database()}
