"""Clients: who the agency works for, and the plan each one bought."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field, Strict

from veilleur.accounts.models import Agency
from veilleur.api.auth import agency_of
from veilleur.api.crud import assign, get_or_404, referenced, refuse_nulls, save_validated
from veilleur.api.errors import field_error
from veilleur.api.fields import (
    InputSchema,
    Key,
    Language,
    Name,
    ObjectId,
    OptionalColor,
    OptionalHttpUrl,
    OptionalLanguage,
    QueryId,
    TimeZone,
)
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.clients.models import REPORT_DAY_MAX, REPORT_SEND_AFTER_DAYS_MAX, Client
from veilleur.plans.models import Plan

router = Router(tags=["clients"])

# Report mechanics: the day of the month (the client's time; null: the server's default) and the
# days a report waits as a draft before it is sent (0: at once; null: until the agency publishes).
ReportDay = Annotated[int, Strict(), Field(ge=1, le=REPORT_DAY_MAX)]
ReportSendAfterDays = Annotated[int, Strict(), Field(ge=0, le=REPORT_SEND_AFTER_DAYS_MAX)]


class ClientOut(Schema):
    id: int
    key: str
    name: str
    plan_id: int
    plan_key: str
    language: str
    time_zone: str
    logo_url: str
    primary_color: str
    accent_color: str
    # Report mechanics.
    report_day: int | None
    report_language: str
    report_send_after_days: int | None
    created_at: datetime

    @staticmethod
    def resolve_plan_key(obj: Client) -> str:
        return obj.plan.key


class ClientCreate(InputSchema):
    key: Key
    name: Name
    plan_id: ObjectId | None = None
    plan_key: Key | None = None
    language: Language | None = None
    time_zone: TimeZone | None = None
    logo_url: OptionalHttpUrl = ""
    primary_color: OptionalColor = ""
    accent_color: OptionalColor = ""
    report_day: ReportDay | None = None
    report_language: OptionalLanguage = ""
    report_send_after_days: ReportSendAfterDays | None = 0


class ClientPatch(InputSchema):
    key: Key | None = None
    name: Name | None = None
    plan_id: ObjectId | None = None
    plan_key: Key | None = None
    language: Language | None = None
    time_zone: TimeZone | None = None
    logo_url: OptionalHttpUrl | None = None
    primary_color: OptionalColor | None = None
    accent_color: OptionalColor | None = None
    report_day: ReportDay | None = None
    report_language: OptionalLanguage | None = None
    report_send_after_days: ReportSendAfterDays | None = None


def clients_of(agency: Agency) -> QuerySet[Client]:
    return Client.objects.filter(agency=agency).select_related("plan")


def plan_from(agency: Agency, changes: dict[str, Any]) -> Plan | None:
    """The plan named by plan_id or plan_key (taken out of ``changes``); None when neither is sent."""
    plan_id = changes.pop("plan_id", None)
    plan_key = changes.pop("plan_key", None)
    if plan_id is not None and plan_key is not None:
        raise field_error("plan_key", "send plan_id or plan_key, not both")
    if plan_id is not None:
        return referenced(Plan, agency, plan_id, "plan_id", "plan")
    if plan_key is not None:
        plan = Plan.objects.filter(agency=agency, key=plan_key).first()
        if plan is None:
            raise field_error("plan_key", f"there is no plan with key {plan_key!r}")
        return plan
    return None


@router.get("", response=Page[ClientOut], summary="List clients")
def list_clients(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    return paginate(clients_of(agency_of(request)), query)


@router.post("", response={201: ClientOut}, summary="Create a client")
def create_client(request: HttpRequest, payload: ClientCreate) -> Client:
    """The plan is given by ``plan_id`` or ``plan_key``; language and time zone default to the agency's."""
    agency = agency_of(request)
    changes = payload.changes()
    plan = plan_from(agency, changes)
    if plan is None:
        raise field_error("plan_id", "a plan is required: send plan_id or plan_key")
    changes["language"] = changes.get("language") or agency.language
    changes["time_zone"] = changes.get("time_zone") or agency.time_zone
    client = Client(agency=agency, plan=plan)
    assign(client, changes)
    return save_validated(client)


@router.get("/{id}", response=ClientOut, summary="Read a client")
def read_client(request: HttpRequest, id: QueryId) -> Client:
    return get_or_404(clients_of(agency_of(request)), id, "client")


@router.patch("/{id}", response=ClientOut, summary="Change a client")
def update_client(request: HttpRequest, id: QueryId, payload: ClientPatch) -> Client:
    agency = agency_of(request)
    client = get_or_404(clients_of(agency), id, "client")
    changes = payload.changes()
    refuse_nulls(changes, nullable=("report_day", "report_send_after_days"))
    plan = plan_from(agency, changes)
    if plan is not None:
        client.plan = plan
    assign(client, changes)
    return save_validated(client)


@router.delete("/{id}", response={204: None}, summary="Delete a client and everything under it")
def delete_client(request: HttpRequest, id: QueryId) -> None:
    """Deletes the client **with its contacts, sites, monitors, maintenance windows and tasks**."""
    get_or_404(clients_of(agency_of(request)), id, "client").delete()
