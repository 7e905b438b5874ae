"""What the file no longer has is kept by default, and deleted only with --prune."""

from __future__ import annotations

import pytest

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Contact, MaintenanceWindow, Site
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan

from .conftest import EXAMPLE, MINIMAL, RunCli, WriteYaml, dump_database

pytestmark = pytest.mark.django_db

# MINIMAL with a second client, which the tests then drop from the file.
TWO_CLIENTS = (
    MINIMAL
    + """\
  - key: cabinet-durand
    name: Cabinet Durand
    plan: standard
    sites:
      - key: www
        name: Site du cabinet
        url: https://www.cabinet-durand.example/
        monitors:
          - key: home
"""
)


def test_without_prune_missing_objects_are_kept_and_named(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", write_yaml(TWO_CLIENTS))

    result = run_cli("apply", write_yaml(MINIMAL))

    assert result.status == 0, result.err
    assert "no changes" in result.out
    assert "use --prune to delete them): client cabinet-durand" in result.out
    assert Client.objects.filter(key="cabinet-durand").exists()


def test_prune_deletes_a_client_and_everything_under_it(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", write_yaml(TWO_CLIENTS))

    result = run_cli("apply", write_yaml(MINIMAL), "--prune")

    assert result.status == 0, result.err
    assert "- client cabinet-durand: with 1 site, 1 monitor" in result.out.splitlines()
    assert list(Client.objects.values_list("key", flat=True)) == ["boulangerie-martin"]
    assert not Site.objects.filter(client__key="cabinet-durand").exists()


def test_prune_deletes_nested_objects_the_file_dropped(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", EXAMPLE)
    rousseau = """\
    agency:
      name: Atelier Lumière
    clients:
      - key: maison-rousseau
        name: Maison Rousseau Vins
        plan: premium
        sites:
          - key: boutique
            name: Boutique en ligne
            url: https://boutique.maison-rousseau.example/
            monitors:
              - key: home
    """

    result = run_cli("apply", write_yaml(rousseau), "--prune")

    lines = result.out.splitlines()
    assert "- contact maison-rousseau/ops@maison-rousseau.example" in lines
    assert "- site maison-rousseau/api: with 1 monitor" in lines
    assert "- monitor maison-rousseau/boutique/checkout" in lines
    assert "- maintenance window maison-rousseau/hebdomadaire" in lines
    assert "- client boulangerie-martin: with 1 site, 2 monitors, 1 contact" in lines
    assert not Contact.objects.exists()
    assert not MaintenanceWindow.objects.exists()
    assert list(Monitor.objects.values_list("key", flat=True)) == ["home"]


def test_nested_lists_left_out_mean_empty(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    run_cli("apply", write_yaml(MINIMAL))
    bare_client = MINIMAL.split("    contacts:")[0]

    kept = run_cli("apply", write_yaml(bare_client))
    pruned = run_cli("apply", write_yaml(bare_client), "--prune")

    assert "contact boulangerie-martin/claire@boulangerie-martin.example" in kept.out
    assert Client.objects.count() == 1
    assert "- site boulangerie-martin/www: with 1 monitor" in pruned.out.splitlines()
    assert not Site.objects.exists() and not Contact.objects.exists()


def test_prune_deletes_plans_no_longer_in_the_plans_section(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    only_basic = MINIMAL.replace(
        "clients:",
        "plans:\n  - key: basic\n    name: Basic\n    check_interval_seconds: 180\n"
        "    response_target_minutes: 240\n    response_calendar: business\nclients:",
    )

    result = run_cli("apply", write_yaml(only_basic), "--prune")

    assert result.status == 0, result.err
    assert {"- plan premium", "- plan standard"} <= set(result.out.splitlines())
    assert list(Plan.objects.filter(agency=agency).values_list("key", flat=True)) == ["basic"]


def test_without_a_plans_section_prune_leaves_plans_alone(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    result = run_cli("apply", write_yaml(MINIMAL), "--prune")

    assert result.status == 0, result.err
    assert Plan.objects.filter(agency=agency).count() == 3


def test_a_plan_still_used_by_a_client_cannot_be_pruned(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", write_yaml(MINIMAL))
    # The client stays on "basic", but the plans section no longer lists it.
    without_basic = MINIMAL.replace(
        "clients:",
        "plans:\n  - key: premium\n    name: Premium\n    check_interval_seconds: 30\n"
        "    response_target_minutes: 30\n    response_calendar: always\nclients:",
    )
    path = write_yaml(without_basic)
    before = dump_database()

    result = run_cli("apply", path, "--prune")

    assert result.status == 2
    assert f"{path}:" in result.err
    assert "plans: plan 'basic' cannot be pruned: client(s) boulangerie-martin still use it" in result.err
    assert dump_database() == before
    assert "Traceback" not in result.err
