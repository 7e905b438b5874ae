from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from veilleur.accounts.admin import RelatedOnly, ScopedAdmin, ScopedTabularInline, shows_credentials
from veilleur.monitoring.models import Monitor
from veilleur.notifications.channels import HIDDEN


class MonitorInline(ScopedTabularInline):
    model = Monitor
    fields = ("key", "url", "method", "expected_status", "interval_seconds", "timeout_seconds", "paused")
    show_change_link = True


@admin.register(Monitor)
class MonitorAdmin(ScopedAdmin):
    list_display = ("__str__", "url", "method", "expected_status", "interval_seconds", "paused")
    list_filter = ("paused", "method", ("site__client__plan", RelatedOnly), ("site__client", RelatedOnly))
    search_fields = ("key", "url", "site__name", "site__client__name")
    list_select_related = ("site", "site__client")
    fieldsets = (
        (None, {"fields": ("site", "key", "url", "method", "request_headers")}),
        ("Assertions", {"fields": ("expected_status", "keyword", "forbidden_keyword", "follow_redirects")}),
        ("Timing", {"fields": ("interval_seconds", "timeout_seconds", "paused")}),
    )
    readonly_fields = ("masked_request_headers",)
    actions = ("pause", "resume")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        # Request headers often carry a site's credentials (Authorization, API keys): members
        # see their names only.
        if shows_credentials(request):
            return self.fieldsets
        (title, options), *rest = self.fieldsets
        fields = tuple("masked_request_headers" if f == "request_headers" else f for f in options["fields"])
        return ((title, {**options, "fields": fields}), *rest)

    @admin.display(description="Request headers")
    def masked_request_headers(self, monitor: Monitor) -> str:
        return ", ".join(f"{name}: {HIDDEN}" for name in (monitor.request_headers or {})) or "—"

    @admin.action(description="Pause the selected monitors", permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[Monitor]) -> None:
        self.message_user(request, f"{queryset.update(paused=True)} monitor(s) paused.")

    @admin.action(description="Resume the selected monitors", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Monitor]) -> None:
        self.message_user(request, f"{queryset.update(paused=False)} monitor(s) resumed.")
