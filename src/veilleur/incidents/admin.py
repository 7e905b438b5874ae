from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from veilleur.accounts.admin import RelatedOnly, ScopedAdmin
from veilleur.incidents.models import Incident


@admin.register(Incident)
class IncidentAdmin(ScopedAdmin):
    """Incidents are written by the checker; staff read them here (the timeline is evidence)."""

    list_display = (
        "monitor",
        "first_failed_at",
        "confirmed_at",
        "recovered_at",
        "cause_error_class",
        "ack_channel",
    )
    list_filter = ("kind", "cause_error_class", ("monitor__site__client", RelatedOnly))
    search_fields = ("monitor__url", "monitor__site__client__name", "cause_message")
    list_select_related = ("monitor__site__client",)
    date_hierarchy = "first_failed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
