"""French ships complete: every message of the source has a translation, and the compiled
catalog is the one built from the committed .po file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

import veilleur

LOCALE = Path(veilleur.__file__).parent / "locale"
PO_FILE = LOCALE / "fr" / "LC_MESSAGES" / "django.po"


def _untranslated(po_text: str) -> list[str]:
    missing = []
    for entry in po_text.split("\n\n")[1:]:
        empty = 'msgstr ""' in entry and not any(
            line.startswith('"') for line in entry.split('msgstr ""', 1)[1].splitlines()
        )
        if "#, fuzzy" in entry or empty:
            missing.append(entry)
    return missing


def test_french_catalog_has_no_missing_or_fuzzy_entry() -> None:
    assert _untranslated(PO_FILE.read_text()) == []


def test_compiled_catalog_matches_the_po_file(tmp_path: Path) -> None:
    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext's msgfmt is not installed")
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(PO_FILE)], check=True)
    assert fresh.read_bytes() == (PO_FILE.with_suffix(".mo")).read_bytes(), "run 'make messages'"


def test_every_message_in_the_source_is_in_the_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Extract the messages again from a copy of the package: nothing new, nothing untranslated."""
    if shutil.which("xgettext") is None:
        pytest.skip("GNU gettext's xgettext is not installed")
    copy = tmp_path / "veilleur"
    shutil.copytree(LOCALE.parent, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "migrations"))
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["fr"], no_obsolete=True, verbosity=0)
    assert _untranslated((copy / "locale" / "fr" / "LC_MESSAGES" / "django.po").read_text()) == [], (
        "run 'make messages' and translate the new entries"
    )


def test_a_known_message_is_french() -> None:
    with translation.override("fr"):
        assert translation.gettext("Sign out") == "Se déconnecter"
    with translation.override("en"):
        assert translation.gettext("Sign out") == "Sign out"
