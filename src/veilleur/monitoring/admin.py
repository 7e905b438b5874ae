from typing import Any, ClassVar

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from veilleur.accounts.admin import RelatedOnly, ScopedAdmin, ScopedTabularInline, shows_credentials
from veilleur.monitoring.models import Monitor, set_paused
from veilleur.notifications.channels import HIDDEN, password_masked


def _masked(fields: Any) -> tuple[str, ...]:
    """Members' fields: a URL's password and the request headers' values hidden."""
    swaps = {"url": "masked_url", "request_headers": "masked_request_headers"}
    return tuple(swaps.get(field, field) for field in fields)


def searchable(request: HttpRequest, search_fields: Any) -> tuple[str, ...]:
    """The fields a viewer may search: for members, not the URLs (each search would test a
    guess at a password in them)."""
    if shows_credentials(request):
        return tuple(search_fields)
    return tuple(field for field in search_fields if not field.endswith("url"))


class MaskedUrlForMembers:
    """For a model with a ``url`` that may hold a password (https://user:password@host/):
    members, who may read the rows but not use their credentials, see ``user:…@host`` in the
    list, the form and inlines, and do not search the URLs (each search would test a guess)."""

    readonly_fields: ClassVar[Any] = ("masked_url",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)  # type: ignore[misc]
        return fields if shows_credentials(request) else _masked(fields)

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = super().get_list_display(request)  # type: ignore[misc]
        return columns if shows_credentials(request) else _masked(columns)

    def get_search_fields(self, request: HttpRequest) -> Any:
        return searchable(request, super().get_search_fields(request))  # type: ignore[misc]

    @admin.display(description="URL")
    def masked_url(self, row: Any) -> str:
        return password_masked(row.url)


class MonitorInline(MaskedUrlForMembers, ScopedTabularInline):
    model = Monitor
    fields = ("key", "url", "method", "expected_status", "interval_seconds", "timeout_seconds", "paused")
    show_change_link = True


@admin.register(Monitor)
class MonitorAdmin(MaskedUrlForMembers, ScopedAdmin):
    list_display = ("__str__", "url", "method", "expected_status", "interval_seconds", "paused")
    list_filter = ("paused", "method", ("site__client__plan", RelatedOnly), ("site__client", RelatedOnly))
    search_fields = ("key", "url", "site__name", "site__client__name")
    list_select_related = ("site", "site__client")
    fieldsets = (
        (None, {"fields": ("site", "key", "url", "method", "request_headers")}),
        ("Assertions", {"fields": ("expected_status", "keyword", "forbidden_keyword", "follow_redirects")}),
        ("Timing", {"fields": ("interval_seconds", "timeout_seconds", "paused")}),
    )
    readonly_fields = ("masked_url", "masked_request_headers")
    actions = ("pause", "resume")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        # Request headers often carry a site's credentials (Authorization, API keys), and a URL
        # may hold a password (https://user:password@host/): members see them masked.
        if shows_credentials(request):
            return self.fieldsets
        (title, options), *rest = self.fieldsets
        return ((title, {**options, "fields": _masked(options["fields"])}), *rest)

    @admin.display(description="Request headers")
    def masked_request_headers(self, monitor: Monitor) -> str:
        return ", ".join(f"{name}: {HIDDEN}" for name in (monitor.request_headers or {})) or "—"

    @admin.action(description="Pause the selected monitors", permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[Monitor]) -> None:
        self.message_user(
            request, f"{set_paused(list(queryset.values_list('pk', flat=True)), True)} monitor(s) paused."
        )

    @admin.action(description="Resume the selected monitors", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Monitor]) -> None:
        self.message_user(
            request, f"{set_paused(list(queryset.values_list('pk', flat=True)), False)} monitor(s) resumed."
        )
