"""Notification channels other than e-mail: signed webhooks and Apprise URLs (Slack, Teams, …).

A channel's URL carries the credentials that let anyone post to it, and a webhook's secret
lets anyone forge its signature: answers show the URL masked and no secret, unless one channel
is read with ``?reveal=true``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from veilleur.accounts.models import Agency
from veilleur.api.auth import agency_of
from veilleur.api.crud import assign, get_or_404, refuse_nulls, save_validated
from veilleur.api.fields import InputSchema, Key, Name, ObjectId, QueryId, StrictBoolean
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.api.resources.scopes import take_scope
from veilleur.notifications.channels import masked_url
from veilleur.notifications.models import NotificationChannel, all_event_kinds

router = Router(tags=["channels"])

ChannelKind = Literal["webhook", "apprise"]
EventName = Literal["incident_confirmed", "incident_recovered", "sla_warning", "sla_breach"]
ChannelUrl = Annotated[str, Field(min_length=1, max_length=2000)]
Secret = Annotated[str, Field(min_length=16, max_length=128)]
Events = Annotated[list[EventName], Field(min_length=1)]
SCOPE_HELP = "Give a plan or a client, or neither for every client."


class ChannelOut(Schema):
    id: int
    key: str
    name: str
    kind: str
    url: str = Field(description="Masked (scheme and host only) unless read with ?reveal=true.")
    secret: str | None = Field(description="The webhook signing secret; null unless read with ?reveal=true.")
    plan_id: int | None
    client_id: int | None
    events: list[str]
    enabled: bool
    created_at: datetime


class ChannelCreate(InputSchema):
    key: Key
    name: Name
    kind: ChannelKind
    url: ChannelUrl
    secret: Secret | None = Field(None, description="Omitted: a random one is made.")
    plan_id: ObjectId | None = Field(None, description=SCOPE_HELP)
    client_id: ObjectId | None = Field(None, description=SCOPE_HELP)
    events: Events = Field(default_factory=all_event_kinds)  # type: ignore[arg-type]
    enabled: StrictBoolean = True


class ChannelPatch(InputSchema):
    key: Key | None = None
    name: Name | None = None
    kind: ChannelKind | None = None
    url: ChannelUrl | None = None
    secret: Secret | None = None
    plan_id: ObjectId | None = None
    client_id: ObjectId | None = None
    events: Events | None = None
    enabled: StrictBoolean | None = None


class RevealQuery(Schema):
    reveal: bool = Field(False, description="Show the full URL and the webhook secret.")


def channels_of(agency: Agency) -> QuerySet[NotificationChannel]:
    return NotificationChannel.objects.filter(agency=agency)


def channel_view(channel: NotificationChannel, *, reveal: bool = False) -> dict[str, Any]:
    return {
        "id": channel.pk,
        "key": channel.key,
        "name": channel.name,
        "kind": channel.kind,
        "url": channel.url if reveal else masked_url(channel.kind, channel.url),
        "secret": channel.secret if reveal and channel.kind == NotificationChannel.Kind.WEBHOOK else None,
        "plan_id": channel.plan_id,
        "client_id": channel.client_id,
        "events": list(channel.events),
        "enabled": channel.enabled,
        "created_at": channel.created_at,
    }


@router.get("", response=Page[ChannelOut], summary="List notification channels")
def list_channels(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    page = paginate(channels_of(agency_of(request)), query)
    return {**page, "items": [channel_view(channel) for channel in page["items"]]}


@router.post("", response={201: ChannelOut}, summary="Create a notification channel")
def create_channel(request: HttpRequest, payload: ChannelCreate) -> dict[str, Any]:
    """The key is unique in the agency. A webhook URL is an absolute http(s) address; an
    Apprise URL is any URL Apprise accepts (slack://…, msteams://…, tgram://…, json://…)."""
    agency = agency_of(request)
    changes = payload.changes()
    if changes.get("secret") is None:
        changes.pop("secret", None)  # the model makes one
    channel = NotificationChannel(agency=agency, events=list(payload.events))
    take_scope(changes, channel, agency)
    assign(channel, changes)
    return channel_view(save_validated(channel))


@router.get("/{id}", response=ChannelOut, summary="Read a notification channel")
def read_channel(request: HttpRequest, id: QueryId, query: Query[RevealQuery]) -> dict[str, Any]:
    channel = get_or_404(channels_of(agency_of(request)), id, "channel")
    return channel_view(channel, reveal=query.reveal)


@router.patch("/{id}", response=ChannelOut, summary="Change a notification channel")
def update_channel(request: HttpRequest, id: QueryId, payload: ChannelPatch) -> dict[str, Any]:
    agency = agency_of(request)
    channel = get_or_404(channels_of(agency), id, "channel")
    changes = payload.changes()
    refuse_nulls(changes, nullable=("plan_id", "client_id"))
    take_scope(changes, channel, agency)
    assign(channel, changes)
    return channel_view(save_validated(channel))


@router.delete("/{id}", response={204: None}, summary="Delete a notification channel")
def delete_channel(request: HttpRequest, id: QueryId) -> None:
    get_or_404(channels_of(agency_of(request)), id, "channel").delete()
