from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from veilleur.accounts.admin import RelatedOnly, ScopedAdmin, ScopedTabularInline
from veilleur.monitoring.models import Monitor


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
    actions = ("pause", "resume")

    @admin.action(description="Pause the selected monitors", permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[Monitor]) -> None:
        self.message_user(request, f"{queryset.update(paused=True)} monitor(s) paused.")

    @admin.action(description="Resume the selected monitors", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Monitor]) -> None:
        self.message_user(request, f"{queryset.update(paused=False)} monitor(s) resumed.")
