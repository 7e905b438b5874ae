"""Notification channels, on-call addresses and the sender address in the config file: applied,
exported in full, applied again without changes, and refused with line-numbered errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml

from veilleur.accounts.models import Agency
from veilleur.notifications.models import NotificationChannel, OnCallAddress

from .conftest import EXAMPLE, MINIMAL, RunCli, WriteYaml, dump_database

pytestmark = pytest.mark.django_db

CHANNELS = """\
on_call:
  - email: Astreinte@Atelier.example
  - email: nuit@atelier.example
    scope: {plan: premium}
    escalation: true
channels:
  - key: ops-hook
    name: Ops webhook
    kind: webhook
    url: https://hooks.atelier.example/veilleur/s3cr3t-path
    secret: a-shared-secret-of-some-length
    scope: {client: boulangerie-martin}
  - key: slack
    name: Slack
    kind: apprise
    url: slack://T000/B000/XXXX
    events: [incident_confirmed]
"""


def test_channels_and_on_call_are_created(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    result = run_cli("apply", write_yaml(MINIMAL + CHANNELS))

    assert result.status == 0, result.err
    assert "+ channel ops-hook" in result.out and "+ channel slack" in result.out
    assert "+ on-call address astreinte@atelier.example (every client)" in result.out
    assert "+ on-call address nuit@atelier.example (plan premium)" in result.out
    hook = NotificationChannel.objects.get(agency=agency, key="ops-hook")
    assert (hook.kind, hook.secret, hook.client.key if hook.client else None) == (
        "webhook",
        "a-shared-secret-of-some-length",
        "boulangerie-martin",
    )
    assert hook.events == ["incident_confirmed", "incident_recovered", "sla_warning", "sla_breach"]
    slack = NotificationChannel.objects.get(agency=agency, key="slack")
    assert (slack.events, slack.enabled, slack.plan, slack.client) == (
        ["incident_confirmed"],
        True,
        None,
        None,
    )
    assert OnCallAddress.objects.get(agency=agency, email="nuit@atelier.example").escalation is True
    assert "s3cr3t" not in result.out  # URLs are credentials: never printed


def test_export_then_apply_changes_nothing_and_restores_what_was_lost(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    assert run_cli("apply", EXAMPLE).status == 0
    agency.refresh_from_db()
    assert agency.sender_email == "alertes@atelier-lumiere.example"
    exported = run_cli("export").out
    data = yaml.safe_load(exported)
    dashboard = next(entry for entry in data["channels"] if entry["key"] == "tableau-de-bord")
    secret = NotificationChannel.objects.get(key="tableau-de-bord").secret
    assert dashboard["secret"] == secret and dashboard["enabled"] is False
    assert "secret" not in next(entry for entry in data["channels"] if entry["key"] == "slack-astreinte")
    assert data["agency"]["sender_email"] == "alertes@atelier-lumiere.example"
    path = write_yaml(exported, "export.yaml")

    before = dump_database()
    again = run_cli("apply", path)
    assert again.status == 0, again.err
    assert again.out.strip() == "no changes"
    assert dump_database() == before

    # Lost, then applied from the export: the same channels, the very same signing secret.
    NotificationChannel.objects.all().delete()
    OnCallAddress.objects.all().delete()
    assert run_cli("apply", path).status == 0
    assert NotificationChannel.objects.get(key="tableau-de-bord").secret == secret
    assert run_cli("export").out == exported


def test_changes_are_listed_without_showing_urls(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", write_yaml(MINIMAL + CHANNELS))
    changed = CHANNELS.replace("s3cr3t-path", "n3w-path").replace(
        "scope: {client: boulangerie-martin}", "scope: {plan: basic}"
    )
    result = run_cli("apply", write_yaml(MINIMAL + changed))
    assert result.status == 0, result.err
    assert "~ channel ops-hook: url changed, scope client boulangerie-martin → plan basic" in result.out
    assert "s3cr3t" not in result.out and "n3w" not in result.out


def test_without_the_sections_channels_and_addresses_are_left_alone(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", write_yaml(MINIMAL + CHANNELS))
    result = run_cli("apply", write_yaml(MINIMAL))
    assert result.out.strip() == "no changes"
    assert NotificationChannel.objects.count() == 2 and OnCallAddress.objects.count() == 2


def test_prune_deletes_channels_and_addresses_the_file_no_longer_has(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", write_yaml(MINIMAL + CHANNELS))
    fewer = MINIMAL + "on_call:\n  - email: astreinte@atelier.example\nchannels: []\n"
    kept = run_cli("apply", write_yaml(fewer))
    assert "channel ops-hook" in kept.out and NotificationChannel.objects.count() == 2  # listed, kept

    pruned = run_cli("apply", write_yaml(fewer), "--prune")

    assert pruned.status == 0, pruned.err
    assert "- channel ops-hook" in pruned.out and "- channel slack" in pruned.out
    assert "- on-call address nuit@atelier.example (plan premium)" in pruned.out
    assert not NotificationChannel.objects.exists()
    assert list(OnCallAddress.objects.values_list("email", flat=True)) == ["astreinte@atelier.example"]


def _with(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return change


# (transformation of the file, text that starts the line named, "field.path: message" expected)
CASES: dict[str, tuple[Callable[[str], str], str, str]] = {
    "unknown kind": (
        _with("kind: webhook", "kind: pigeon"),
        "kind: pigeon",
        "channels[0].kind: must be 'webhook' or 'apprise'",
    ),
    "webhook URL not http": (
        _with("url: https://hooks.atelier.example/veilleur/s3cr3t-path", "url: ftp://hooks.example/x"),
        "url: ftp://",
        "channels[0].url: a webhook URL must be an absolute http:// or https:// address",
    ),
    "unknown Apprise service": (
        _with("url: slack://T000/B000/XXXX", "url: nosuchservice://abc"),
        "url: nosuchservice://",
        "channels[1].url: Apprise does not accept this nosuchservice:// URL",
    ),
    "plan and client": (
        _with("scope: {client: boulangerie-martin}", "scope: {client: boulangerie-martin, plan: basic}"),
        "scope: {client",
        "channels[0].scope: give a plan or a client, not both",
    ),
    "unknown client": (
        _with("scope: {client: boulangerie-martin}", "scope: {client: inconnu}"),
        "scope: {client",
        "channels[0].scope.client: unknown client 'inconnu' (known clients: boulangerie-martin)",
    ),
    "unknown plan": (
        _with("scope: {plan: premium}", "scope: {plan: gold}"),
        "scope: {plan: gold}",
        "on_call[1].scope.plan: unknown plan 'gold'",
    ),
    "unknown event": (
        _with("events: [incident_confirmed]", "events: [incident_confirmed, site_on_fire]"),
        "events: [",
        "channels[1].events[1]: must be 'incident_confirmed', 'incident_recovered', 'sla_warning' or "
        "'sla_breach'",
    ),
    "no event": (_with("events: [incident_confirmed]", "events: []"), "events: [", "channels[1].events:"),
    "duplicate key": (
        _with("key: slack", "key: ops-hook"),
        "key: ops-hook\n    name: Slack",
        "channels[1].key: duplicate key 'ops-hook': already used by channels[0]",
    ),
    "duplicate on-call": (
        _with(
            "  - email: nuit@atelier.example\n    scope: {plan: premium}",
            "  - email: ASTREINTE@atelier.example",
        ),
        "ASTREINTE",
        "on_call[1].email: duplicate on-call address 'ASTREINTE@atelier.example' with this scope",
    ),
    "secret on Apprise": (
        _with(
            "events: [incident_confirmed]", "events: [incident_confirmed]\n    secret: sixteen-characters!"
        ),
        "secret: sixteen",
        "channels[1].secret: only webhook channels sign what they send",
    ),
    "bad sender": (
        _with("name: Atelier Lumière", "name: Atelier Lumière\n  sender_email: not-an-address"),
        "",
        "agency.sender_email: Enter a valid email address.",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_channels_are_reported_with_their_line(
    case: str, agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    transform, fragment, message = CASES[case]
    text = transform(MINIMAL + CHANNELS)
    line = 3 if not fragment else text[: text.index(fragment)].count("\n") + 1  # 3: sender_email
    path = write_yaml(text)
    before = dump_database()

    result = run_cli("apply", path)

    assert result.status == 2, result.out
    assert f"{path}:{line}: {message}" in result.err
    assert "s3cr3t" not in result.err and "Traceback" not in result.err
    assert dump_database() == before
