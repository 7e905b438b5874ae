"""Cached page renderings go stale when what a page shows is edited (config, sites, windows).

The checker's own writes (incidents opening and closing) bump the version explicitly in its
transaction, as it writes in bulk and sends no signals.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from veilleur.clients.models import Client, MaintenanceWindow, Site
from veilleur.incidents.models import IncidentUpdate
from veilleur.statuspages.models import StatusComponent, StatusPage, bump_pages_of_clients


@receiver([post_save, post_delete], sender=Client)
@receiver([post_save, post_delete], sender=Site)
@receiver([post_save, post_delete], sender=MaintenanceWindow)
def _client_content_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    client_id = instance.pk if isinstance(instance, Client) else instance.client_id
    bump_pages_of_clients([client_id])


@receiver(m2m_changed, sender=MaintenanceWindow.sites.through)
def _window_sites_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, MaintenanceWindow):
        bump_pages_of_clients([instance.client_id])


@receiver([post_save, post_delete], sender=StatusComponent)
def _component_changed(sender: Any, instance: StatusComponent, **kwargs: Any) -> None:
    StatusPage.objects.filter(pk=instance.page_id).update(state_version=F("state_version") + 1)


@receiver([post_save, post_delete], sender=IncidentUpdate)
def _update_changed(sender: Any, instance: IncidentUpdate, **kwargs: Any) -> None:
    # One UPDATE with a subquery, rather than walking incident → monitor → site row by row.
    bump_pages_of_clients(Site.objects.filter(monitors__incidents=instance.incident_id).values("client_id"))
