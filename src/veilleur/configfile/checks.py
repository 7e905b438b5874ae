"""Checks that span several entries of the file: keys unique in their list, references that
point at something that exists.

They read the raw data (not the checked models) so that they run, and report, even when some
other field of the file is wrong: the reader gets every problem in one go.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from veilleur.configfile.issues import Issue, Path, format_path
from veilleur.notifications.channels import check_channel_url


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
        issues += _duplicates(data, (*client_path, "status_page", "components"), "site")
        for site_path, _ in _entries(data, (*client_path, "sites")):
            issues += _duplicates(data, (*site_path, "monitors"), "key")
    issues += _status_page_clashes(data)
    return issues + _duplicates(data, ("channels",), "key") + _duplicate_on_call(data)


def _status_page_clashes(data: Any) -> list[Issue]:
    """Two clients' pages with the same address: slugs (a page's defaults to its client's key)
    and custom domains are one namespace for the whole install."""
    issues = []
    seen: dict[tuple[str, str], Path] = {}
    for client_path, client in _entries(data, ("clients",)):
        page = client.get("status_page")
        if not isinstance(page, dict):
            continue
        page_path = (*client_path, "status_page")
        slug = _text(page, "slug") if "slug" in page else _text(client, "key")
        domain = _text(page, "custom_domain")
        for field, value in (("slug", slug), ("custom_domain", domain and domain.strip().lower())):
            if not value:
                continue
            if (field, value) in seen:
                where = (*page_path, field) if field in page else page_path
                message = f"duplicate {field} {value!r}: already used by {format_path(seen[field, value])}"
                issues.append(Issue(where, message))
            else:
                seen[field, value] = page_path
    return issues


def scope_of(entry: dict[str, Any]) -> tuple[str | None, str | None]:
    """(plan key, client key) of an entry's ``scope``; (None, None) for every client."""
    scope = entry.get("scope")
    if not isinstance(scope, dict):
        return None, None
    return _text(scope, "plan"), _text(scope, "client")


def _duplicate_on_call(data: Any) -> list[Issue]:
    """The same address twice with the same scope (one address may have several scopes)."""
    issues = []
    seen: dict[tuple[str, str | None, str | None], Path] = {}
    for entry_path, entry in _entries(data, ("on_call",)):
        email = _text(entry, "email")
        if email is None:
            continue
        identity = (email.strip().lower(), *scope_of(entry))
        if identity in seen:
            message = (
                f"duplicate on-call address {email!r} with this scope: already {format_path(seen[identity])}"
            )
            issues.append(Issue((*entry_path, "email"), message))
        else:
            seen[identity] = entry_path
    return issues


def channel_problems(data: Any) -> list[Issue]:
    """A URL that does not suit its channel's kind; a signing secret on a channel that does not
    sign. The URL is never quoted back: it holds the channel's credentials."""
    issues = []
    for entry_path, entry in _entries(data, ("channels",)):
        kind, url = _text(entry, "kind"), _text(entry, "url")
        if kind not in ("webhook", "apprise") or url is None:
            continue  # the schema reports a missing or unknown kind, or a URL that is not text
        try:
            check_channel_url(kind, url)
        except ValueError as exc:
            issues.append(Issue((*entry_path, "url"), str(exc)))
        if kind != "webhook" and entry.get("secret") is not None:
            issues.append(Issue((*entry_path, "secret"), "only webhook channels sign what they send"))
    return issues


def unknown_references(
    data: Any, stored_plan_keys: set[str], stored_client_keys: set[str] | frozenset[str] = frozenset()
) -> list[Issue]:
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
        issues += _unknown_component_sites(data, client_path)
    known_clients = set(stored_client_keys)
    known_clients.update(key for _, client in _entries(data, ("clients",)) if (key := _text(client, "key")))
    for section in ("channels", "on_call"):
        issues += _unknown_scopes(data, section, known_plans, known_clients)
    return issues


def _unknown_scopes(data: Any, section: str, known_plans: set[str], known_clients: set[str]) -> list[Issue]:
    issues = []
    for entry_path, entry in _entries(data, (section,)):
        plan, client = scope_of(entry)
        if plan is not None and plan not in known_plans:
            known = ", ".join(sorted(known_plans)) or "none"
            issues.append(
                Issue((*entry_path, "scope", "plan"), f"unknown plan {plan!r} (known plans: {known})")
            )
        if client is not None and client not in known_clients:
            known = ", ".join(sorted(known_clients)) or "none"
            message = f"unknown client {client!r} (known clients: {known})"
            issues.append(Issue((*entry_path, "scope", "client"), message))
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


def _unknown_component_sites(data: Any, client_path: Path) -> list[Issue]:
    """A status page may show only its own client's sites, named by their keys in the file."""
    site_keys = {key for _, site in _entries(data, (*client_path, "sites")) if (key := _text(site, "key"))}
    issues = []
    for component_path, component in _entries(data, (*client_path, "status_page", "components")):
        site = _text(component, "site")
        if site is not None and site not in site_keys:
            known = ", ".join(sorted(site_keys)) or "none"
            issues.append(
                Issue((*component_path, "site"), f"unknown site {site!r}: this client's sites are {known}")
            )
    return issues
