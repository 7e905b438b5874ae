"""Version 1 of the REST API: one NinjaAPI, its authentication, error format and resources."""

from __future__ import annotations

from ninja import NinjaAPI

from veilleur.api.auth import BearerToken
from veilleur.api.errors import install_error_handlers
from veilleur.api.resources import clients, contacts, monitors, plans, sites, tasks, windows

DESCRIPTION = """\
Manage an agency's clients, sites, monitors, contacts and maintenance with a bearer token
(`Authorization: Bearer vlr_…`, made with `veilleur token create NAME`).

Lists are paginated with `limit` (at most 200) and the opaque `cursor` taken from the previous
page's `next_cursor`. Errors answer `{"error": "…", "fields": {"<field>": "…"}}` with a 4xx status.
"""

api = NinjaAPI(
    title="Veilleur API",
    version="1",
    description=DESCRIPTION,
    auth=BearerToken(),
    urls_namespace="api-v1",
)
install_error_handlers(api)

api.add_router("/plans", plans.router)
api.add_router("/clients", clients.router)
api.add_router("/contacts", contacts.router)
api.add_router("/sites", sites.router)
api.add_router("/monitors", monitors.router)
api.add_router("/maintenance-windows", windows.router)
api.add_router("/maintenance-tasks", tasks.router)
