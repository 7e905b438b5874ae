from django.contrib import admin

from veilleur.accounts.admin import RecordAdmin, RelatedOnly, ScopedAdmin
from veilleur.notifications.channels import masked_url
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

    @admin.display(description="URL")
    def masked_url(self, channel: NotificationChannel) -> str:
        return masked_url(channel.kind, channel.url)


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
