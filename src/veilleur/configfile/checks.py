"""Checks that span several entries of the file: keys unique in their list, references that
point at something that exists.

They read the raw data (not the checked models) so that they run, and report, even when some
other field of the file is wrong: the reader gets every problem in one go.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from veilleur.configfile.issues import Issue, Path, format_path


def _entries(data: Any, path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The mappings of the list found at ``path``; anything malformed is the schema's to report."""
    value = data
    for step in path:
        if isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        elif isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        else:
            return
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield (*path, index), item


def _text(entry: dict[str, Any], field: str) -> str | None:
    value = entry.get(field)
    return value if isinstance(value, str) else None


def _duplicates(data: Any, path: Path, field: str, *, normalise: bool = False) -> list[Issue]:
    issues = []
    seen: dict[str, Path] = {}
    for entry_path, entry in _entries(data, path):
        value = _text(entry, field)
        if value is None:
            continue
        identity = value.strip().lower() if normalise else value
        if identity in seen:
            issues.append(
                Issue(
                    (*entry_path, field),
                    f"duplicate {field} {value!r}: already used by {format_path(seen[identity])}",
                )
            )
        else:
            seen[identity] = entry_path
    return issues


def duplicate_keys(data: Any) -> list[Issue]:
    """Two entries of one list with the same key (or the same e-mail for contacts)."""
    issues = _duplicates(data, ("plans",), "key") + _duplicates(data, ("clients",), "key")
    for client_path, _ in _entries(data, ("clients",)):
        issues += _duplicates(data, (*client_path, "contacts"), "email", normalise=True)
        issues += _duplicates(data, (*client_path, "sites"), "key")
        issues += _duplicates(data, (*client_path, "maintenance_windows"), "key")
        for site_path, _ in _entries(data, (*client_path, "sites")):
            issues += _duplicates(data, (*site_path, "monitors"), "key")
    return issues


def unknown_references(data: Any, stored_plan_keys: set[str]) -> list[Issue]:
    """A client on a plan that exists neither in the file nor in the database, a window on a
    site the client does not have.

    A stored plan the file does not list is still known: it stays in place unless --prune is
    given, and prune then refuses to delete it while a client uses it.
    """
    known_plans = set(stored_plan_keys)
    known_plans.update(key for _, plan in _entries(data, ("plans",)) if (key := _text(plan, "key")))
    issues = []
    for client_path, client in _entries(data, ("clients",)):
        plan = _text(client, "plan")
        if plan is not None and plan not in known_plans:
            known = ", ".join(sorted(known_plans)) or "none"
            issues.append(Issue((*client_path, "plan"), f"unknown plan {plan!r} (known plans: {known})"))
        issues += _unknown_window_sites(data, client_path)
    return issues


def _unknown_window_sites(data: Any, client_path: Path) -> list[Issue]:
    site_keys = {key for _, site in _entries(data, (*client_path, "sites")) if (key := _text(site, "key"))}
    issues = []
    for window_path, window in _entries(data, (*client_path, "maintenance_windows")):
        sites = window.get("sites")
        if not isinstance(sites, list):
            continue
        for index, site in enumerate(sites):
            if isinstance(site, str) and site not in site_keys:
                known = ", ".join(sorted(site_keys)) or "none"
                issues.append(
                    Issue(
                        (*window_path, "sites", index),
                        f"unknown site {site!r}: this client's sites are {known}",
                    )
                )
    return issues
