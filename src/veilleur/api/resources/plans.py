"""Plans: read, create and change. A plan is checked by its model (minimum check interval, price
range, service-credit steps, key unique per agency), as the config file and the dashboard's plans
editor check it: the same bad value is refused with the same message everywhere."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from veilleur.api.auth import agency_of
from veilleur.api.crud import assign, get_or_404, refuse_nulls, save_validated
from veilleur.api.fields import InputSchema, Key, Name, NonNegativeInt, PositiveInt, QueryId, StrictBoolean
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.domain.plans import MAX_DOMAIN_WARNING_DAYS
from veilleur.plans.models import Plan

router = Router(tags=["plans"])


class CreditStepOut(Schema):
    below_percent: float
    credit_percent: int


class PlanOut(Schema):
    id: int
    key: str
    name: str
    check_interval_seconds: int
    price_min_eur: int
    price_max_eur: int
    email_alerts: bool
    monthly_report: bool
    maintenance_log: bool
    status_page: bool
    client_portal: bool
    ssl_monitoring: bool
    performance_monitoring: bool
    quarterly_review: bool
    response_target_minutes: int
    response_calendar: str
    uptime_target_percent: float | None
    service_credits: list[CreditStepOut]
    confirmation_checks: int
    # Certificate monitoring: expiry warnings (docs/certificates.md).
    certificate_warning_days: list[int]
    certificate_lifetime_fraction: float
    # Domains and CMS versions.
    cms_versions: bool
    domain_warning_days: list[int]


@router.get("", response=Page[PlanOut], summary="List plans")
def list_plans(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    return paginate(Plan.objects.filter(agency=agency_of(request)), query)


@router.get("/{id}", response=PlanOut, summary="Read a plan")
def read_plan(request: HttpRequest, id: QueryId) -> Plan:
    return get_or_404(Plan.objects.filter(agency=agency_of(request)), id, "plan")


class CreditStepIn(InputSchema):
    below_percent: Annotated[float, Field(gt=0, le=100)]
    credit_percent: Annotated[int, Field(ge=1, le=100)]


class PlanPatch(InputSchema):
    name: Name | None = None
    check_interval_seconds: NonNegativeInt | None = None
    price_min_eur: NonNegativeInt | None = None
    price_max_eur: NonNegativeInt | None = None
    email_alerts: StrictBoolean | None = None
    monthly_report: StrictBoolean | None = None
    maintenance_log: StrictBoolean | None = None
    status_page: StrictBoolean | None = None
    client_portal: StrictBoolean | None = None
    ssl_monitoring: StrictBoolean | None = None
    performance_monitoring: StrictBoolean | None = None
    quarterly_review: StrictBoolean | None = None
    response_target_minutes: PositiveInt | None = None
    response_calendar: Literal["business", "always"] | None = None
    uptime_target_percent: Annotated[float, Field(ge=0, le=100)] | None = None
    service_credits: list[CreditStepIn] | None = None
    confirmation_checks: Annotated[int, Field(ge=0, le=5)] | None = None
    # Certificate monitoring: expiry warnings.
    certificate_warning_days: list[Annotated[int, Field(strict=True, ge=1, le=365)]] | None = None
    certificate_lifetime_fraction: Annotated[float, Field(ge=0.01, le=0.9)] | None = None
    # Domains and CMS versions.
    cms_versions: StrictBoolean | None = None
    domain_warning_days: list[Annotated[int, Field(strict=True, ge=1, le=MAX_DOMAIN_WARNING_DAYS)]] | None = (
        None
    )


class PlanCreate(PlanPatch):
    key: Key
    name: Name
    check_interval_seconds: NonNegativeInt
    response_target_minutes: PositiveInt
    response_calendar: Literal["business", "always"]


def _stored_values(changes: dict[str, Any]) -> dict[str, Any]:
    if changes.get("uptime_target_percent") is not None:
        changes["uptime_target_percent"] = Decimal(str(changes["uptime_target_percent"]))
    if changes.get("certificate_lifetime_fraction") is not None:
        changes["certificate_lifetime_fraction"] = Decimal(str(changes["certificate_lifetime_fraction"]))
    return changes


@router.post("", response={201: PlanOut}, summary="Create a plan")
def create_plan(request: HttpRequest, payload: PlanCreate) -> Plan:
    plan = Plan(agency=agency_of(request))
    assign(plan, _stored_values(payload.changes()))
    return save_validated(plan)


@router.patch("/{id}", response=PlanOut, summary="Change a plan")
def update_plan(request: HttpRequest, id: QueryId, payload: PlanPatch) -> Plan:
    """Changes apply at once to every client on the plan. ``uptime_target_percent: null`` removes
    the guarantee."""
    plan = get_or_404(Plan.objects.filter(agency=agency_of(request)), id, "plan")
    changes = payload.changes()
    refuse_nulls(changes, nullable=["uptime_target_percent"])
    assign(plan, _stored_values(changes))
    return save_validated(plan)
