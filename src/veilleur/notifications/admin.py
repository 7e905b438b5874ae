from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from veilleur.accounts.admin import RecordAdmin, RelatedOnly, ScopedAdmin, shows_credentials
from veilleur.notifications.channels import HIDDEN, masked_url
from veilleur.notifications.models import NotificationChannel, OnCallAddress, OutboxMessage


@admin.register(OnCallAddress)
class OnCallAddressAdmin(ScopedAdmin):
    list_display = ("email", "plan", "client")
    list_filter = (("plan", RelatedOnly), ("client", RelatedOnly))
    search_fields = ("email",)
    fields = ("email", "plan", "client")


@admin.register(NotificationChannel)
class NotificationChannelAdmin(ScopedAdmin):
    # The list shows the URL masked: it holds the credentials that let anyone post to the channel.
    list_display = ("key", "name", "kind", "masked_url", "plan", "client", "enabled")
    list_filter = ("kind", "enabled", ("plan", RelatedOnly), ("client", RelatedOnly))
    search_fields = ("key", "name")
    fields = ("key", "name", "kind", "url", "secret", "plan", "client", "events", "enabled")
    # What a member sees instead: they may read the channels, not use their credentials.
    masked_fields = (
        "key",
        "name",
        "kind",
        "masked_url",
        "masked_secret",
        "plan",
        "client",
        "events",
        "enabled",
    )
    readonly_fields = ("masked_url", "masked_secret")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields if shows_credentials(request) else self.masked_fields

    @admin.display(description="URL")
    def masked_url(self, channel: NotificationChannel) -> str:
        return masked_url(channel.kind, channel.url)

    @admin.display(description="Secret")
    def masked_secret(self, channel: NotificationChannel) -> str:
        return HIDDEN


@admin.register(OutboxMessage)
class OutboxMessageAdmin(RecordAdmin):
    """The delivery log: written by the checker and the worker, read here (it is evidence)."""

    list_display = ("created_at", "kind", "recipient", "channel", "state", "attempts", "sent_at", "incident")
    list_filter = ("state", "kind", "channel", "audience")
    search_fields = ("recipient", "message_id", "last_error")
    list_select_related = ("incident__monitor__site__client",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "incident",
        "kind",
        "channel",
        "audience",
        "recipient",
        "language",
        "state",
        "attempts",
        "next_attempt_at",
        "claimed_by",
        "claimed_until",
        "sent_at",
        "last_error",
        "message_id",
        "idempotency_key",
        "created_at",
    )
    fields = readonly_fields
