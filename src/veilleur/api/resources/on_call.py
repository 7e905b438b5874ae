"""On-call addresses: who receives the agency's incident alerts by e-mail, and for which clients."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from veilleur.accounts.models import Agency
from veilleur.api.auth import agency_of
from veilleur.api.crud import assign, get_or_404, refuse_nulls, save_validated
from veilleur.api.fields import Email, InputSchema, ObjectId, QueryId, StrictBoolean
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.api.resources.scopes import take_scope
from veilleur.notifications.models import OnCallAddress

router = Router(tags=["on-call"])

SCOPE_HELP = "Give a plan or a client, or neither for every client."


class OnCallOut(Schema):
    id: int
    email: str
    plan_id: int | None
    client_id: int | None
    escalation: bool
    created_at: datetime


class OnCallCreate(InputSchema):
    email: Email
    plan_id: ObjectId | None = Field(None, description=SCOPE_HELP)
    client_id: ObjectId | None = Field(None, description=SCOPE_HELP)
    escalation: StrictBoolean = False


class OnCallPatch(InputSchema):
    email: Email | None = None
    plan_id: ObjectId | None = None
    client_id: ObjectId | None = None
    escalation: StrictBoolean | None = None


def on_call_of(agency: Agency) -> QuerySet[OnCallAddress]:
    return OnCallAddress.objects.filter(agency=agency).order_by("pk")


@router.get("", response=Page[OnCallOut], summary="List on-call addresses")
def list_on_call(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    return paginate(on_call_of(agency_of(request)), query)


@router.post("", response={201: OnCallOut}, summary="Create an on-call address")
def create_on_call(request: HttpRequest, payload: OnCallCreate) -> OnCallAddress:
    agency = agency_of(request)
    changes = payload.changes()
    address = OnCallAddress(agency=agency)
    take_scope(changes, address, agency)
    assign(address, changes)
    return save_validated(address)


@router.get("/{id}", response=OnCallOut, summary="Read an on-call address")
def read_on_call(request: HttpRequest, id: QueryId) -> OnCallAddress:
    return get_or_404(on_call_of(agency_of(request)), id, "on-call address")


@router.patch("/{id}", response=OnCallOut, summary="Change an on-call address")
def update_on_call(request: HttpRequest, id: QueryId, payload: OnCallPatch) -> OnCallAddress:
    agency = agency_of(request)
    address = get_or_404(on_call_of(agency), id, "on-call address")
    changes = payload.changes()
    refuse_nulls(changes, nullable=("plan_id", "client_id"))
    take_scope(changes, address, agency)
    assign(address, changes)
    return save_validated(address)


@router.delete("/{id}", response={204: None}, summary="Delete an on-call address")
def delete_on_call(request: HttpRequest, id: QueryId) -> None:
    get_or_404(on_call_of(agency_of(request)), id, "on-call address").delete()
