from django.contrib import admin

from veilleur.accounts.admin import RecordAdmin, RelatedOnly
from veilleur.incidents.models import Incident, IncidentUpdate


@admin.register(Incident)
class IncidentAdmin(RecordAdmin):
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


@admin.register(IncidentUpdate)
class IncidentUpdateAdmin(RecordAdmin):
    """Public updates are posted from the incident page; here they are listed, as evidence of
    what the client was told and when."""

    list_display = ("posted_at", "incident", "status", "posted_by_label")
    list_filter = ("status", ("incident__monitor__site__client", RelatedOnly))
    search_fields = ("message", "posted_by_label", "incident__monitor__site__client__name")
    list_select_related = ("incident__monitor__site__client",)
    date_hierarchy = "posted_at"
    fields = ("incident", "status", "message", "posted_at", "posted_by_label")
    readonly_fields = fields
