"""Status pages in the config file: created and updated with their components, a password hashed
only when it changes, errors at file:line, kept or pruned, and written back by export."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from django.utils import timezone

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Site
from veilleur.plans.models import Plan
from veilleur.statuspages.models import StatusComponent, StatusPage, Subscription

from .conftest import EXAMPLE, RunCli, WriteYaml, dump_database

pytestmark = pytest.mark.django_db

SECRET = "correct horse battery"

# Line numbers matter: tests point at them.
BASE = """\
agency:
  name: Atelier Lumière
clients:
  - key: cabinet-durand
    name: Cabinet Durand
    plan: standard
    sites:
      - key: www
        name: Site du cabinet
        url: https://www.cabinet-durand.example/
      - key: rdv
        name: Rendez-vous
        url: https://rdv.cabinet-durand.example/
    status_page:
      title: État des services
      custom_domain: etat.cabinet-durand.example
      components:
        - site: www
          name: Site
        - site: rdv
          group: En ligne
"""
STATUS_PAGE_LINE = 14


def replaced(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def page() -> StatusPage:
    return StatusPage.objects.get(client__key="cabinet-durand")


def components() -> list[tuple[str, str, str, int]]:
    rows = StatusComponent.objects.filter(page=page()).select_related("site").order_by("position", "id")
    return [(row.site.key, row.public_name, row.group, row.position) for row in rows]


def test_the_example_gives_its_standard_client_a_page(agency: Agency, run_cli: RunCli) -> None:
    result = run_cli("apply", EXAMPLE)

    assert result.status == 0, result.err
    assert "+ status page cabinet-durand" in result.out.splitlines()
    shown = StatusPage.objects.get(client__key="cabinet-durand")
    assert (shown.slug, shown.visibility, shown.language) == ("cabinet-durand", "public", "fr")
    assert shown.custom_domain == "etat.cabinet-durand.example" and shown.domain_verified_at is None
    names = [c.display_name for c in StatusComponent.objects.filter(page=shown).order_by("position")]
    assert names == ["Site du cabinet", "Prise de rendez-vous en ligne"]
    assert StatusPage.objects.count() == 1


def test_defaults_come_from_the_client_and_order_gives_positions(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    result = run_cli("apply", write_yaml(BASE))

    assert result.status == 0, result.err
    stored = page()
    assert (stored.slug, stored.title, stored.language) == ("cabinet-durand", "État des services", "fr")
    assert (stored.visibility, stored.password_hash, stored.footer_text) == ("public", "", "")
    assert components() == [("www", "Site", "", 0), ("rdv", "", "En ligne", 1)]
    again = run_cli("apply", write_yaml(BASE))
    assert again.out.strip() == "no changes"


def test_changes_are_listed_field_by_field(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    run_cli("apply", write_yaml(BASE))
    version = page().state_version
    changed = replaced("      title: État des services\n", "      title: Statut\n      footer_text: Durand\n")
    changed = replaced(
        "        - site: www\n          name: Site\n        - site: rdv\n          group: En ligne\n",
        "        - site: rdv\n          group: Réservation\n",
        changed,
    )

    result = run_cli("apply", write_yaml(changed))

    assert result.status == 0, result.err
    line = next(line for line in result.out.splitlines() if line.startswith("~ status page"))
    assert line.startswith("~ status page cabinet-durand: ")
    assert 'title "État des services" → "Statut"' in line and 'footer_text "" → "Durand"' in line
    assert "components -www ~rdv" in line
    assert components() == [("rdv", "", "Réservation", 0)]
    assert page().state_version > version


def test_reordering_components_is_a_change(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    run_cli("apply", write_yaml(BASE))
    swapped = replaced(
        "        - site: www\n          name: Site\n        - site: rdv\n          group: En ligne\n",
        "        - site: rdv\n          group: En ligne\n        - site: www\n          name: Site\n",
    )

    result = run_cli("apply", write_yaml(swapped))

    assert "~ status page cabinet-durand: components reordered" in result.out.splitlines()
    assert components() == [("rdv", "", "En ligne", 0), ("www", "Site", "", 1)]


def test_a_password_is_hashed_once_and_never_printed(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    protected = replaced(
        "      title: État des services\n",
        f"      title: État des services\n      visibility: password\n      password: {SECRET}\n",
    )
    first = run_cli("apply", write_yaml(protected))
    stored_hash = page().password_hash

    again = run_cli("apply", write_yaml(protected))
    without = run_cli("apply", write_yaml(protected.replace(f"      password: {SECRET}\n", "")))
    changed = run_cli("apply", write_yaml(protected.replace(SECRET, "another long secret")))

    assert first.status == 0, first.err
    assert page().check_password("another long secret")
    assert stored_hash and again.out.strip() == "no changes" and without.out.strip() == "no changes"
    assert "~ status page cabinet-durand: password changed" in changed.out.splitlines()
    assert all(SECRET not in output and "another long" not in output for output in (first.out, changed.out))


def test_export_never_writes_the_password_and_applying_it_keeps_the_hash(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    protected = replaced(
        "      title: État des services\n", f"      visibility: password\n      password: {SECRET}\n"
    )
    run_cli("apply", write_yaml(protected))
    stored_hash = page().password_hash

    exported = run_cli("export").out

    assert SECRET not in exported and stored_hash not in exported and "password:" not in exported
    assert yaml.safe_load(exported)["clients"][0]["status_page"]["visibility"] == "password"
    path = write_yaml(exported, "export.yaml")
    assert run_cli("apply", path).out.strip() == "no changes"
    assert page().password_hash == stored_hash

    # On a database that lost the page, the export alone cannot make it: no password to give it.
    StatusPage.objects.all().delete()
    problems = _problems(run_cli, path)
    assert any(".status_page.password: a password-protected page needs a password" in p for p in problems)
    assert not StatusPage.objects.exists()


def test_a_new_domain_is_verified_again_the_same_one_stays_verified(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", write_yaml(BASE))
    StatusPage.objects.filter(pk=page().pk).update(domain_verified_at=timezone.now())
    token = page().domain_token

    same = run_cli("apply", write_yaml(BASE.replace("etat.cabinet", "ETAT.cabinet")))
    assert same.out.strip() == "no changes"
    assert page().domain_verified and page().domain_token == token

    moved = run_cli("apply", write_yaml(BASE.replace("etat.cabinet", "statut.cabinet")))
    assert (
        '~ status page cabinet-durand: custom_domain "etat.cabinet-durand.example" → '
        '"statut.cabinet-durand.example"' in moved.out.splitlines()
    )
    assert not page().domain_verified and page().domain_token != token

    dropped = run_cli(
        "apply", write_yaml(BASE.replace("      custom_domain: etat.cabinet-durand.example\n", ""))
    )
    assert dropped.status == 0 and page().custom_domain is None


def test_embed_origins_are_applied_normalised_listed_and_exported(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", write_yaml(BASE))
    assert page().embed_origins == []
    allowed = replaced(
        "      title: État des services\n",
        "      title: État des services\n      embed_origins:\n"
        "        - HTTPS://Intranet.Cabinet-Durand.example:443/\n        - https://www.cabinet-durand.example\n",
    )

    first = run_cli("apply", write_yaml(allowed))

    assert first.status == 0, first.err
    wanted = ["https://intranet.cabinet-durand.example", "https://www.cabinet-durand.example"]
    assert page().embed_origins == wanted
    assert (
        "~ status page cabinet-durand: embed_origins +https://intranet.cabinet-durand.example "
        "+https://www.cabinet-durand.example" in first.out.splitlines()
    ), first.out
    assert run_cli("apply", write_yaml(allowed)).out.strip() == "no changes"
    exported = yaml.safe_load(run_cli("export").out)["clients"][0]["status_page"]
    assert exported["embed_origins"] == wanted

    # Left out of the file: no site may frame the page any more.
    removed = run_cli("apply", write_yaml(BASE))
    assert "embed_origins -https://intranet.cabinet-durand.example" in removed.out
    assert page().embed_origins == []


def _problems(run_cli: RunCli, path: Path, *options: str) -> list[str]:
    result = run_cli("apply", path, *options)
    assert result.status == 2, result.out
    assert "Traceback" not in result.err
    return result.err.splitlines()[:-1]


# (the file, the line, "field.path: message" expected on that line)
BAD_FILES: dict[str, tuple[Callable[[], str], int, str]] = {
    "plan without a status page": (
        lambda: replaced("plan: standard", "plan: basic"),
        STATUS_PAGE_LINE,
        "clients[0].status_page: the plan 'basic' does not include a status page",
    ),
    "protected page without a password": (
        lambda: replaced("      title: État des services\n", "      title: T\n      visibility: password\n"),
        STATUS_PAGE_LINE,
        "clients[0].status_page.password: a password-protected page needs a password",
    ),
    "short password": (
        lambda: replaced("      title: État des services\n", "      title: T\n      password: short\n"),
        STATUS_PAGE_LINE + 2,
        "clients[0].status_page.password: String should have at least 8 characters",
    ),
    "unknown visibility": (
        lambda: replaced("      title: État des services\n", "      visibility: hidden\n"),
        STATUS_PAGE_LINE + 1,
        "clients[0].status_page.visibility: must be 'public' or 'password'",
    ),
    "site of no one": (
        lambda: replaced("        - site: rdv\n", "        - site: blog\n"),
        STATUS_PAGE_LINE + 6,
        "clients[0].status_page.components[1].site: unknown site 'blog': this client's sites are rdv, www",
    ),
    "site listed twice": (
        lambda: replaced("        - site: rdv\n", "        - site: www\n"),
        STATUS_PAGE_LINE + 6,
        "clients[0].status_page.components[1].site: duplicate site 'www': already used by "
        "clients[0].status_page.components[0]",
    ),
    "bad domain": (
        lambda: replaced("etat.cabinet-durand.example", "https://etat.cabinet-durand.example/"),
        STATUS_PAGE_LINE + 2,
        "clients[0].status_page.custom_domain: invalid domain",
    ),
    "origin with a path": (
        lambda: replaced(
            "      title: État des services\n",
            "      embed_origins:\n        - https://www.cabinet-durand.example\n"
            "        - https://www.cabinet-durand.example/embed\n",
        ),
        STATUS_PAGE_LINE + 3,
        "clients[0].status_page.embed_origins[1]: invalid origin 'https://www.cabinet-durand.example/embed'",
    ),
    "wildcard origin": (
        lambda: replaced("      title: État des services\n", "      embed_origins: ['https://*.example']\n"),
        STATUS_PAGE_LINE + 1,
        "clients[0].status_page.embed_origins[0]: invalid origin 'https://*.example': name each site",
    ),
    "plain http origin": (
        lambda: replaced(
            "      title: État des services\n", "      embed_origins: [http://intranet.example]\n"
        ),
        STATUS_PAGE_LINE + 1,
        "clients[0].status_page.embed_origins[0]: invalid origin 'http://intranet.example': only https://",
    ),
    "origins not a list": (
        lambda: replaced(
            "      title: État des services\n", "      embed_origins: https://www.example.com\n"
        ),
        STATUS_PAGE_LINE + 1,
        "clients[0].status_page.embed_origins: ",
    ),
    "bad slug": (
        lambda: replaced("      title: État des services\n", "      slug: Cabinet Durand\n"),
        STATUS_PAGE_LINE + 1,
        "clients[0].status_page.slug: invalid key 'Cabinet Durand'",
    ),
    "misspelt field": (
        lambda: replaced("      title: État des services\n", "      titel: État\n"),
        STATUS_PAGE_LINE + 1,
        "clients[0].status_page.titel: unknown field 'titel' (did you mean 'title'?)",
    ),
    "bad colour": (
        lambda: replaced("      title: État des services\n", "      primary_color: red\n"),
        STATUS_PAGE_LINE + 1,
        "clients[0].status_page.primary_color: invalid colour 'red'",
    ),
    "not a mapping": (
        lambda: BASE.split("    status_page:")[0] + "    status_page: yes\n",
        STATUS_PAGE_LINE,
        "clients[0].status_page: expected a mapping of names to values, got 'yes'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_status_page_sections_are_named_at_their_line(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml, case: str
) -> None:
    make, line, expected = BAD_FILES[case]
    path = write_yaml(make())
    before = dump_database()

    problems = _problems(run_cli, path)

    assert any(problem.startswith(f"{path}:{line}: {expected}") for problem in problems), problems
    assert dump_database() == before


def test_a_slug_is_one_pages_in_the_whole_install(
    make_agency: Callable[..., Agency], agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    other = make_agency("other", "Other")
    theirs = Client.objects.create(
        agency=other, key="x", name="X", plan=Plan.objects.get(agency=other, key="standard")
    )
    StatusPage.objects.create(client=theirs, slug="cabinet-durand", title="Theirs")
    second_client = textwrap.dedent(
        """\
          - key: autre
            name: Autre
            plan: premium
            status_page:
              slug: commun
          - key: encore
            name: Encore
            plan: premium
            status_page:
              slug: commun
        """
    )

    mine = ("--agency", agency.key)
    taken = _problems(run_cli, write_yaml(BASE, "taken.yaml"), *mine)
    twice = _problems(run_cli, write_yaml(BASE + textwrap.indent(second_client, "  "), "twice.yaml"), *mine)

    assert any(f":{STATUS_PAGE_LINE}: clients[0].status_page.slug: " in problem for problem in taken), taken
    assert "Theirs" not in "".join(taken)
    assert any(
        "clients[2].status_page.slug: duplicate slug 'commun': already used by clients[1].status_page" in p
        for p in twice
    ), twice
    assert not StatusPage.objects.filter(agency=agency).exists()


def test_a_page_left_out_is_kept_unless_pruned(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", write_yaml(BASE))
    Subscription.objects.create(page=page(), email="lecteur@example.com")
    without = BASE.split("    status_page:")[0]

    kept = run_cli("apply", write_yaml(without))
    pruned = run_cli("apply", write_yaml(without), "--prune")

    assert kept.status == 0 and "no changes" in kept.out
    assert "use --prune to delete them): status page cabinet-durand" in kept.out
    assert pruned.status == 0, pruned.err
    assert "- status page cabinet-durand: with 2 components, 1 subscriber" in pruned.out.splitlines()
    assert not StatusPage.objects.exists() and not Subscription.objects.exists()
    assert Site.objects.filter(client__key="cabinet-durand").count() == 2


def test_dry_run_lists_the_page_and_writes_nothing(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    before = dump_database()

    dry = run_cli("apply", write_yaml(BASE), "--dry-run")

    assert dry.status == 0, dry.err
    assert "+ status page cabinet-durand" in dry.out.splitlines()
    assert dump_database() == before


def test_round_trip_of_pages_made_elsewhere(agency: Agency, run_cli: RunCli, tmp_path: Path) -> None:
    """A page set up through the admin or the API (protected, verified domain, positions that are
    not 0, 1, 2…, every field) is written back so that applying the export changes nothing."""
    standard = Plan.objects.get(agency=agency, key="standard")
    client = Client.objects.create(agency=agency, key="no", name="yes", plan=standard, language="en")
    shop = Site.objects.create(client=client, key="shop", name="Shop", url="https://shop.example/")
    blog = Site.objects.create(client=client, key="on", name="12:30", url="https://blog.example/")
    shown = StatusPage(
        client=client,
        slug="true",
        title="2026",
        language="fr",
        visibility="password",
        logo_url="https://shop.example/logo.png",
        favicon_url="https://shop.example/favicon.ico",
        primary_color="#abcdef",
        accent_color="#123456",
        footer_text="#not a comment: really",
        footer_url="https://shop.example/legal",
        custom_domain="status.shop.example",
        embed_origins=["https://www.shop.example", "https://intranet.shop.example:8443"],
    )
    shown.set_password(SECRET)
    shown.save()
    StatusPage.objects.filter(pk=shown.pk).update(domain_verified_at=timezone.now())
    StatusComponent.objects.create(page=shown, site=blog, public_name="null", group="~", position=40)
    StatusComponent.objects.create(page=shown, site=shop, public_name="", group="", position=7)
    Client.objects.create(agency=agency, key="sans-page", name="Sans page", plan=standard)
    exported = tmp_path / "exported.yaml"
    before = dump_database()

    export = run_cli("export", "-o", exported)
    result = run_cli("apply", exported, "--prune")

    assert export.status == 0, export.err
    assert result.status == 0, result.err
    assert result.out.strip() == "no changes"
    assert dump_database() == before
    entry = yaml.safe_load(exported.read_text(encoding="utf-8"))["clients"][0]["status_page"]
    assert [c["site"] for c in entry["components"]] == ["shop", "on"]
    assert entry["custom_domain"] == "status.shop.example" and "password" not in entry
    assert entry["embed_origins"] == ["https://www.shop.example", "https://intranet.shop.example:8443"]
