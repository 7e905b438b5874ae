"""A bad file exits with status 2, names file, line and field of every problem, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from veilleur.accounts.models import Agency

from .conftest import EXAMPLE, MINIMAL, RunCli, WriteYaml, dump_database

pytestmark = pytest.mark.django_db


def _with(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return change


def _append(extra: str) -> Callable[[str], str]:
    return lambda text: text + extra


SECOND_CLIENT_SAME_KEY = """\
  - key: boulangerie-martin
    name: Autre boulangerie
    plan: basic
"""

# (transformation of MINIMAL, line, "field.path: message" expected on that line)
CASES: dict[str, tuple[Callable[[str], str], int, str]] = {
    "unknown field": (
        _with("timeout: 10", "timeout: 10\n            timout: 5"),
        19,
        "clients[0].sites[0].monitors[0].timout: unknown field 'timout' (did you mean 'timeout'?)",
    ),
    "unknown top-level section": (
        _append("sites: []\n"),
        25,
        "sites: unknown field 'sites'",
    ),
    "wrong type": (
        _with("timeout: 10", "timeout: ten"),
        18,
        "clients[0].sites[0].monitors[0].timeout: expected a whole number, got 'ten'",
    ),
    "list expected": (
        _with('mon: ["09:00-18:00"]', "mon: 09:00-18:00"),
        5,
        "calendar.hours.mon: expected a list, got '09:00-18:00'",
    ),
    "missing required field": (
        _with("    name: Boulangerie Martin\n", ""),
        7,
        "clients[0].name: this field is required",
    ),
    "unknown plan": (
        _with("plan: basic", "plan: gold"),
        9,
        "clients[0].plan: unknown plan 'gold' (known plans: basic, premium, standard)",
    ),
    "unknown time zone": (
        _with("  name: Atelier Lumière\n", "  name: Atelier Lumière\n  time_zone: Europe/Lutece\n"),
        3,
        "agency.time_zone: unknown time zone 'Europe/Lutece'",
    ),
    "invalid URL": (
        _with("url: https://www.boulangerie-martin.example/", "url: htp://x"),
        15,
        "clients[0].sites[0].url: invalid URL 'htp://x': it must start with http:// or https://",
    ),
    "invalid colour": (
        _with("    plan: basic\n", "    plan: basic\n    branding:\n      primary_color: blue\n"),
        11,
        "clients[0].branding.primary_color: invalid colour 'blue'",
    ),
    "duplicate mapping key": (
        _with("    name: Boulangerie Martin\n", "    name: Boulangerie Martin\n    name: Autre\n"),
        9,
        "clients[0].name: duplicate key 'name' (first given on line 8)",
    ),
    "duplicate client key": (
        _append(SECOND_CLIENT_SAME_KEY),
        25,
        "clients[1].key: duplicate key 'boulangerie-martin': already used by clients[0]",
    ),
    "duplicate contact email": (
        _with(
            "      - email: claire@boulangerie-martin.example\n",
            "      - email: claire@boulangerie-martin.example\n"
            "      - email: Claire@Boulangerie-Martin.example\n",
        ),
        12,
        "clients[0].contacts[1].email: duplicate email 'Claire@Boulangerie-Martin.example': "
        "already used by clients[0].contacts[0]",
    ),
    "duplicate site key": (
        _with(
            "    maintenance_windows:\n",
            "      - key: www\n        name: Bis\n        url: https://bis.example/\n"
            "    maintenance_windows:\n",
        ),
        19,
        "clients[0].sites[1].key: duplicate key 'www': already used by clients[0].sites[0]",
    ),
    "duplicate monitor key": (
        _with("            timeout: 10\n", "            timeout: 10\n          - key: home\n"),
        19,
        "clients[0].sites[0].monitors[1].key: duplicate key 'home': "
        "already used by clients[0].sites[0].monitors[0]",
    ),
    "duplicate window key": (
        _append(
            '      - key: weekly\n        title: Again\n        start: "2026-02-01 08:00"\n'
            "        duration_minutes: 30\n"
        ),
        25,
        "clients[0].maintenance_windows[1].key: duplicate key 'weekly': "
        "already used by clients[0].maintenance_windows[0]",
    ),
    "invalid RRULE": (
        _with("FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;BYDAY=XX"),
        24,
        "clients[0].maintenance_windows[0].rrule: invalid recurrence rule 'FREQ=WEEKLY;BYDAY=XX'",
    ),
    "unknown window site": (
        _append("        sites: [shop]\n"),
        25,
        "clients[0].maintenance_windows[0].sites[0]: unknown site 'shop': this client's sites are www",
    ),
    "invalid local start": (
        _with('"2026-01-06 22:00"', '"06/01/2026 22:00"'),
        22,
        "clients[0].maintenance_windows[0].start: invalid local date and time '06/01/2026 22:00'",
    ),
    "interval below the minimum": (
        _with("timeout: 10", "timeout: 5\n            interval: 5"),
        19,
        "clients[0].sites[0].monitors[0].interval: check interval 5 s is below the minimum of 10 s",
    ),
    "invalid e-mail (model validator)": (
        _with("claire@boulangerie-martin.example", "claire-at-boulangerie"),
        11,
        "clients[0].contacts[0].email: Enter a valid email address.",
    ),
    "line break in a name": (
        _with("name: Site vitrine", 'name: "Site vitrine\\r\\nBcc: everyone@example.com"'),
        14,
        "clients[0].sites[0].name: 'Site vitrine\\r\\nBcc: everyone@example.com' contains a carriage return: "
        "a name is one line of text",
    ),
    "trailing newline in a key": (
        _with("  - key: boulangerie-martin\n", '  - key: "boulangerie-martin\\n"\n'),
        7,
        "clients[0].key: invalid key 'boulangerie-martin\\n'",
    ),
    "timeout not shorter than the interval (full_clean)": (
        _with("timeout: 10", "timeout: 10\n            interval: 10"),
        18,
        "clients[0].sites[0].monitors[0].timeout: the timeout must be shorter than the interval (10 s)",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_file_is_reported_and_changes_nothing(
    case: str, agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    run_cli("apply", EXAMPLE)  # something to protect
    transform, line, message = CASES[case]
    path = write_yaml(transform(MINIMAL))
    before = dump_database()

    result = run_cli("apply", path)

    assert result.status == 2
    assert f"{path}:{line}: {message}" in result.err
    assert "Traceback" not in result.err
    assert result.out == ""
    assert dump_database() == before


def test_every_problem_is_reported_at_once(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    text = MINIMAL
    for transform, _, _ in (CASES["unknown field"], CASES["unknown plan"], CASES["invalid RRULE"]):
        text = transform(text)
    text = _with("url: https://www.boulangerie-martin.example/", "url: htp://x")(text)
    path = write_yaml(text)

    result = run_cli("apply", path)

    assert result.status == 2
    problems = [line for line in result.err.splitlines() if line.startswith(f"{path}:")]
    assert [problem.split(":")[1] for problem in problems] == ["9", "15", "19", "25"]
    assert "4 problems found; nothing was changed" in result.err


def test_message_names_the_file_as_given(
    agency: Agency, run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    bad_url = "url: https://www.cabinet-durand.example/"
    line = text[: text.index(bad_url)].count("\n") + 1
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "agency.yaml").write_text(
        text.replace(bad_url, "url: htp://x"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)

    result = run_cli("apply", "examples/agency.yaml")

    expected = (
        f"examples/agency.yaml:{line}: clients[1].sites[0].url: "
        "invalid URL 'htp://x': it must start with http:// or https://"
    )
    assert result.err.splitlines()[0] == expected


def test_yaml_syntax_error(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    path = write_yaml(MINIMAL.replace('mon: ["09:00-18:00"]', 'mon: ["09:00-18:00"'))
    before = dump_database()

    result = run_cli("apply", path)

    assert result.status == 2
    assert f"{path}:6: YAML syntax error: while parsing a flow sequence" in result.err
    assert dump_database() == before


def test_missing_file(agency: Agency, run_cli: RunCli, tmp_path: Path) -> None:
    before = dump_database()

    result = run_cli("apply", tmp_path / "nowhere.yaml")

    assert result.status == 2
    assert f"{tmp_path / 'nowhere.yaml'}: no such file" in result.err
    assert dump_database() == before


def test_file_that_is_not_text(agency: Agency, run_cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"agency:\n  name: \xff\xfe\n")

    result = run_cli("apply", path)

    assert result.status == 2
    assert f"{path}: the file is not UTF-8 text" in result.err


def test_empty_file_and_wrong_root(agency: Agency, run_cli: RunCli, write_yaml: WriteYaml) -> None:
    empty = run_cli("apply", write_yaml("", "empty.yaml"))
    a_list = run_cli("apply", write_yaml("- agency\n", "list.yaml"))

    assert empty.status == a_list.status == 2
    assert "expected a mapping of names to values, got nothing (null)" in empty.err
    assert "list.yaml:1: expected a mapping of names to values, got a list" in a_list.err


def test_problem_found_while_saving_is_reported_with_its_line(
    agency: Agency, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    # Only Plan.clean knows this rule: it is met when the plan is validated before saving.
    plans = (
        "plans:\n  - key: basic\n    name: Basic\n    check_interval_seconds: 180\n"
        "    price_min_eur: 200\n    price_max_eur: 100\n"
        "    response_target_minutes: 240\n    response_calendar: business\n"
    )
    path = write_yaml(MINIMAL.replace("clients:", plans + "clients:"))
    before = dump_database()

    result = run_cli("apply", path)

    assert result.status == 2
    assert f"{path}:11: plans[0].price_max_eur: the highest price is below the lowest" in result.err
    assert dump_database() == before


def test_bad_file_on_an_empty_install_creates_nothing(
    db: None, run_cli: RunCli, write_yaml: WriteYaml
) -> None:
    result = run_cli("apply", write_yaml(MINIMAL.replace("plan: basic", "plan: gold")))

    assert result.status == 2
    assert not Agency.objects.exists()
