"""The scope of channels and on-call addresses: every client, one plan's clients, or one client."""

from __future__ import annotations

from typing import Any

from veilleur.accounts.models import Agency
from veilleur.api.crud import take_reference
from veilleur.clients.models import Client
from veilleur.notifications.models import NotificationChannel, OnCallAddress
from veilleur.plans.models import Plan


def take_scope(changes: dict[str, Any], row: NotificationChannel | OnCallAddress, agency: Agency) -> None:
    """Apply ``plan_id`` / ``client_id`` from a request body; sending null widens the scope."""
    if "plan_id" in changes:
        row.plan = take_reference(changes, "plan_id", Plan, agency, "plan")
    if "client_id" in changes:
        row.client = take_reference(changes, "client_id", Client, agency, "client")
