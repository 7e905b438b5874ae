"""Portal users in the config file: invited on apply (after the commit, never on a dry run),
exported without passwords, refused for a plan without the portal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.configfile.conftest import MINIMAL, RunCli, WriteYaml, run_cli, write_yaml  # noqa: F401
from tests.notifications.mailsink import MailSink
from veilleur.accounts.models import Agency
from veilleur.portal.models import ClientUser, PortalDomain

WITH_USERS = MINIMAL.replace("    plan: basic\n", "    plan: standard\n").replace(
    "    sites:\n",
    "    portal_users:\n      - email: Claire@Boulangerie-Martin.example\n        name: Claire\n    sites:\n",
    1,
)


@pytest.mark.django_db
def test_apply_invites_new_portal_users_and_export_lists_them(
    agency: Agency,
    run_cli: RunCli,  # noqa: F811
    write_yaml: WriteYaml,  # noqa: F811
    sink: MailSink,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    path = write_yaml(WITH_USERS)
    with django_capture_on_commit_callbacks(execute=True):
        dry = run_cli("apply", "--dry-run", path)
    assert dry.status == 0, dry.err
    assert not ClientUser.objects.exists() and not sink.messages()

    with django_capture_on_commit_callbacks(execute=True):
        result = run_cli("apply", path)
    assert result.status == 0, result.err
    assert "+ portal user boulangerie-martin/claire@boulangerie-martin.example" in result.out
    user = ClientUser.objects.get()
    assert (user.name, user.state, user.has_usable_password()) == ("Claire", "invited", False)
    assert len(sink.to("claire@boulangerie-martin.example")) == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert run_cli("apply", path).status == 0
    assert len(sink.to("claire@boulangerie-martin.example")) == 1  # applied again: no new invitation

    exported = run_cli("export").out
    assert "portal_users:" in exported and "claire@boulangerie-martin.example" in exported
    assert "password" not in exported.split("portal_users:", 1)[1].split("sites:", 1)[0]


@pytest.mark.django_db
def test_a_plan_without_the_portal_is_refused_naming_the_field(
    agency: Agency,
    run_cli: RunCli,  # noqa: F811
    write_yaml: WriteYaml,  # noqa: F811
) -> None:
    path = write_yaml(WITH_USERS.replace("plan: standard", "plan: basic"))
    result = run_cli("apply", path)
    assert result.status != 0
    assert "clients[0].portal_users[0]" in result.err and "client portal" in result.err
    assert not ClientUser.objects.exists()


@pytest.mark.django_db
def test_the_portal_domain_is_set_changed_and_removed_by_the_file(
    agency: Agency,
    run_cli: RunCli,  # noqa: F811
    write_yaml: WriteYaml,  # noqa: F811
) -> None:
    with_domain = MINIMAL.replace(
        "  name: Atelier Lumière\n", "  name: Atelier Lumière\n  portal_domain: Portal.Atelier.example\n"
    )
    result = run_cli("apply", write_yaml(with_domain))
    assert result.status == 0, result.err
    assert "+ portal domain portal.atelier.example" in result.out
    assert "portal_domain: portal.atelier.example" in run_cli("export").out
    assert run_cli("apply", write_yaml(MINIMAL)).status == 0  # absent: kept
    assert PortalDomain.objects.get(agency=agency).domain == "portal.atelier.example"
    removed = run_cli(
        "apply",
        write_yaml(
            MINIMAL.replace("  name: Atelier Lumière\n", "  name: Atelier Lumière\n  portal_domain: ''\n")
        ),
    )
    assert "- portal domain portal.atelier.example" in removed.out
    assert not PortalDomain.objects.exists()
    bad = run_cli("apply", write_yaml(with_domain.replace("Portal.Atelier.example", "not a domain")))
    assert bad.status != 0 and "agency.portal_domain" in bad.err
