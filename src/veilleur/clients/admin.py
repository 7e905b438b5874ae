from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from veilleur.accounts.admin import RelatedOnly, ScopedAdmin, ScopedStackedInline, ScopedTabularInline
from veilleur.clients.logos import logo_state
from veilleur.clients.models import Client, Contact, MaintenanceTask, MaintenanceWindow, Site
from veilleur.monitoring.admin import MaskedUrlForMembers, MonitorInline, searchable


class ContactInline(ScopedTabularInline):
    model = Contact
    fields = ("name", "email", "receives_reports", "receives_incident_notices")


class SiteInline(MaskedUrlForMembers, ScopedTabularInline):
    model = Site
    fields = ("key", "name", "url", "apdex_threshold_ms", "degraded_above_ms")
    show_change_link = True


class MaintenanceWindowInline(ScopedStackedInline):
    model = MaintenanceWindow
    fields = ("key", "title", ("start_date", "start_time", "duration_minutes"), "rrule", "sites")
    filter_horizontal = ("sites",)


@admin.register(Client)
class ClientAdmin(ScopedAdmin):
    list_display = ("name", "key", "plan", "language", "time_zone", "demo")
    list_filter = (("plan", RelatedOnly), "language")
    search_fields = ("name", "key", "contacts__email", "sites__url")
    list_select_related = ("plan",)
    fieldsets = (
        (None, {"fields": ("key", "name", "plan", "language", "time_zone")}),
        (
            "Branding (empty: the agency's)",
            {"fields": ("logo_url", "logo_state", "primary_color", "accent_color")},
        ),
    )
    readonly_fields = ("logo_state",)
    inlines = (ContactInline, SiteInline, MaintenanceWindowInline)

    def get_search_fields(self, request: HttpRequest) -> Any:
        return searchable(request, self.search_fields)  # not the sites' URLs for members

    @admin.display(description=_("Logo as stored"))
    def logo_state(self, obj: Client) -> str:
        return logo_state(obj.logo_url)


@admin.register(Site)
class SiteAdmin(MaskedUrlForMembers, ScopedAdmin):
    list_display = ("name", "client", "url", "apdex_threshold_ms")
    list_filter = (("client__plan", RelatedOnly), ("client", RelatedOnly))
    search_fields = ("name", "key", "url", "client__name")
    list_select_related = ("client",)
    fields = ("client", "key", "name", "url", "apdex_threshold_ms", "degraded_above_ms")
    inlines = (MonitorInline,)


@admin.register(Contact)
class ContactAdmin(ScopedAdmin):
    list_display = ("email", "name", "client", "receives_reports", "receives_incident_notices")
    list_filter = ("receives_reports", "receives_incident_notices", ("client", RelatedOnly))
    search_fields = ("email", "name", "client__name")
    list_select_related = ("client",)


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(ScopedAdmin):
    list_display = ("title", "client", "start_date", "start_time", "duration_minutes", "rrule")
    list_filter = (("client", RelatedOnly),)
    search_fields = ("title", "key", "client__name")
    list_select_related = ("client",)
    filter_horizontal = ("sites",)


@admin.register(MaintenanceTask)
class MaintenanceTaskAdmin(ScopedAdmin):
    list_display = ("date", "client", "site", "category", "description", "visible_to_client")
    list_filter = ("category", "visible_to_client", ("client", RelatedOnly))
    search_fields = ("description", "client__name", "site__name")
    date_hierarchy = "date"
    list_select_related = ("client", "site")
