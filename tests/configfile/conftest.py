"""Helpers for the config-file tests: run the CLI, write files, dump the whole database."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps

from veilleur.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "agency.yaml"


# A small valid file; tests build bad variants of it.
MINIMAL = """\
agency:
  name: Atelier Lumière
calendar:
  hours:
    mon: ["09:00-18:00"]
clients:
  - key: boulangerie-martin
    name: Boulangerie Martin
    plan: basic
    contacts:
      - email: claire@boulangerie-martin.example
    sites:
      - key: www
        name: Site vitrine
        url: https://www.boulangerie-martin.example/
        monitors:
          - key: home
            timeout: 10
    maintenance_windows:
      - key: weekly
        title: Weekly updates
        start: "2026-01-06 22:00"
        duration_minutes: 60
        rrule: FREQ=WEEKLY;BYDAY=TU
"""


@dataclass(frozen=True)
class CliResult:
    status: int
    out: str
    err: str


RunCli = Callable[..., CliResult]
WriteYaml = Callable[..., Path]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run ``veilleur ARGS…`` in this process and capture what it printed."""

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()  # forget anything printed before
        status = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return CliResult(status, captured.out, captured.err)

    return run


@pytest.fixture
def write_yaml(tmp_path: Path) -> WriteYaml:
    def write(text: str, name: str = "agency.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def dump_database() -> dict[str, list[dict[str, Any]]]:
    """Every row of every Veilleur table, many-to-many tables included."""
    dump: dict[str, list[dict[str, Any]]] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("veilleur."):
            continue
        for model in config.get_models(include_auto_created=True):
            dump[model._meta.db_table] = list(model._default_manager.order_by("pk").values())
    return dump
