"""Version 1 of the REST API: one NinjaAPI, its authentication, error format and resources."""

from __future__ import annotations

from veilleur.api.auth import BearerToken
from veilleur.api.contract import DocumentedErrorsApi
from veilleur.api.docs import LocalSwagger
from veilleur.api.errors import install_error_handlers
from veilleur.api.resources import (
    certificates,
    channels,
    clients,
    contacts,
    incident_updates,
    incidents,
    monitors,
    on_call,
    performance,
    plans,
    portal_users,
    regions,
    reports,
    results,
    site_facts,
    sites,
    states,
    status_pages,
    tasks,
    windows,
)

DESCRIPTION = """\
Manage an agency's clients, sites, monitors, contacts, maintenance, on-call addresses,
notification channels and status pages, post public updates on incidents, review and publish
reports, and read what monitoring found (monitors' state, check results, rollups, incidents,
blips, sites' certificates, domain registration, software, phase timings and lab page metrics),
with a bearer token
(`Authorization: Bearer vlr_…`, made with `veilleur token create NAME`).

Lists are paginated with `limit` (at most 200; 1000 for results) and the opaque `cursor` taken
from the previous page's `next_cursor`; incidents and blips come newest first, results oldest
first, other lists in id order. Times are ISO 8601 with a UTC offset; a time without one is
refused. Errors answer `{"error": "…", "fields": {"<field>": "…"}}` with a 4xx status.
"""

api = DocumentedErrorsApi(
    title="Veilleur API",
    version="1",
    description=DESCRIPTION,
    auth=BearerToken(),
    urls_namespace="api-v1",
    docs=LocalSwagger(),
)
install_error_handlers(api)

api.add_router("/plans", plans.router)
api.add_router("/clients", clients.router)
api.add_router("/contacts", contacts.router)
api.add_router("/portal-users", portal_users.router)
api.add_router("/sites", sites.router)
api.add_router("/sites", certificates.router)
api.add_router("/sites", site_facts.router)  # domain registration and software
api.add_router("/sites", performance.router)  # phase timings and lab page metrics
# Before the monitors' own routes: "/monitors/{id}" would otherwise take "/monitors/states".
api.add_router("/monitors", states.router)
api.add_router("/monitors", results.router)
api.add_router("/monitors", regions.monitors_router)  # per-region figures
api.add_router("/sites", regions.sites_router)
api.add_router("/monitors", monitors.router)
api.add_router("/maintenance-windows", windows.router)
api.add_router("/maintenance-tasks", tasks.router)
api.add_router("/incidents", incidents.router)
api.add_router("/incidents", incident_updates.router)
api.add_router("/blips", incidents.blips_router)
api.add_router("/channels", channels.router)
api.add_router("/on-call", on_call.router)
api.add_router("/status-pages", status_pages.router)
api.add_router("/reports", reports.router)
