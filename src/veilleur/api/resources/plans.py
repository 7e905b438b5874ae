"""Plans: read-only here, since changing what was sold is done by people in the admin."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from veilleur.api.auth import agency_of
from veilleur.api.crud import get_or_404
from veilleur.api.fields import QueryId
from veilleur.api.pagination import Page, PageQuery, paginate
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


@router.get("", response=Page[PlanOut], summary="List plans")
def list_plans(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    return paginate(Plan.objects.filter(agency=agency_of(request)), query)


@router.get("/{id}", response=PlanOut, summary="Read a plan")
def read_plan(request: HttpRequest, id: QueryId) -> Plan:
    return get_or_404(Plan.objects.filter(agency=agency_of(request)), id, "plan")
