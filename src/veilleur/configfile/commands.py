"""Entry points of ``veilleur apply`` and ``veilleur export``.

Exit statuses follow the CLI's: 0 done, 1 failure while running, 2 bad input. A bad file is
reported as ``file:line: field.path: message`` lines on standard error, all of them at once,
and the database is left exactly as it was.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.db import DatabaseError
from django.utils import translation

from veilleur.accounts.provisioning import prepare_database, resolve_agency
from veilleur.configfile.apply import Outcome, apply_document
from veilleur.configfile.export import export_agency
from veilleur.configfile.issues import ConfigFileError, Issue, locate, render
from veilleur.configfile.loader import Document, read_document

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


def apply_command(path: Path, *, agency_key: str | None, dry_run: bool, prune: bool) -> int:
    # The command's own words are English; Django's validation messages must not switch to
    # the site's default language half-way through a list of errors.
    with translation.override("en"):
        return _apply(path, agency_key=agency_key, dry_run=dry_run, prune=prune)


def _apply(path: Path, *, agency_key: str | None, dry_run: bool, prune: bool) -> int:
    source = str(path)
    document: Document | None = None
    try:
        document = read_document(_read_text(path))
        prepare_database()
        outcome = apply_document(document, agency_key=agency_key, dry_run=dry_run, prune=prune)
    except ConfigFileError as exc:
        _report_issues(exc.issues, source, document)
        return EXIT_BAD_INPUT
    except DatabaseError as exc:
        # Most likely someone else changed the same rows meanwhile; the transaction was undone.
        print(
            f"error: {source}: the database refused the change, nothing was applied: {exc}", file=sys.stderr
        )
        return EXIT_FAILURE
    _print_outcome(outcome, dry_run=dry_run)
    return EXIT_OK


def export_command(output: Path | None, *, agency_key: str | None) -> int:
    prepare_database()
    text = export_agency(resolve_agency(agency_key))
    if output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"error: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"configuration written to {output}", file=sys.stderr)
    return EXIT_OK


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigFileError([Issue((), "no such file")]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigFileError([Issue((), f"the file is not UTF-8 text ({exc.reason})")]) from exc
    except OSError as exc:
        raise ConfigFileError([Issue((), f"cannot read the file: {exc.strerror or exc}")]) from exc


def _report_issues(issues: list[Issue], source: str, document: Document | None) -> None:
    lines = document.lines if document is not None else {}
    located = [locate(issue, lines) for issue in issues]
    # In file order, so the reader can walk down the file fixing them.
    located.sort(key=lambda issue: issue.line if issue.line is not None else 0)
    for issue in located:
        print(render(issue, source), file=sys.stderr)
    count = len(located)
    print(f"{count} problem{'s' if count > 1 else ''} found; nothing was changed", file=sys.stderr)


def _print_outcome(outcome: Outcome, *, dry_run: bool) -> None:
    for change in outcome.changes:
        print(change)
    count = len(outcome.changes)
    if not count:
        print("no changes")
    elif dry_run:
        print(f"dry run: {count} change{'s' if count > 1 else ''} would be made; nothing was changed")
    else:
        print(f"{count} change{'s' if count > 1 else ''} applied")
    if outcome.kept:
        print(
            f"kept {len(outcome.kept)} stored object(s) the file does not have "
            f"(use --prune to delete them): {', '.join(outcome.kept)}"
        )
