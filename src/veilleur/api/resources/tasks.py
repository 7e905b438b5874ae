"""Maintenance tasks: the work the agency did, shown to the client in reports."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import AfterValidator, BeforeValidator, Field

from veilleur.accounts.models import Agency
from veilleur.api.auth import agency_of
from veilleur.api.crud import (
    assign,
    get_or_404,
    refuse_nulls,
    save_validated,
    take_reference,
    take_required_reference,
)
from veilleur.api.fields import InputSchema, ObjectId, QueryId, StrictBoolean
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.clients.models import Client, MaintenanceTask, Site
from veilleur.domain.validators import check_text

router = Router(tags=["maintenance tasks"])

# Field names "date" would shadow the type inside the classes, hence "dt.date".
# Spelled out rather than derived from MaintenanceTask.Category so that the OpenAPI document
# lists them; test_openapi checks the two stay equal.
Category = Literal["cms_core", "plugin", "backup", "security", "performance", "other"]
Description = Annotated[str, Field(min_length=1, max_length=10_000), AfterValidator(check_text)]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_text(value: Any) -> Any:
    # Pydantic would also take 0 or "0" as a Unix time; a date here is written YYYY-MM-DD.
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("expected a date written YYYY-MM-DD")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_text)]


class TaskOut(Schema):
    id: int
    client_id: int
    site_id: int | None
    date: dt.date
    category: str
    description: str
    visible_to_client: bool
    created_at: dt.datetime


class TaskCreate(InputSchema):
    client_id: ObjectId
    site_id: ObjectId | None = Field(None, description="A site of the client, or null for the whole client.")
    date: IsoDate
    category: Category
    description: Description
    visible_to_client: StrictBoolean = True


class TaskPatch(InputSchema):
    client_id: ObjectId | None = None
    site_id: ObjectId | None = None
    date: IsoDate | None = None
    category: Category | None = None
    description: Description | None = None
    visible_to_client: StrictBoolean | None = None


class TaskQuery(PageQuery):
    client_id: QueryId | None = None
    site_id: QueryId | None = None
    date_from: IsoDate | None = Field(None, description="Tasks on or after this date.")
    date_to: IsoDate | None = Field(None, description="Tasks on or before this date.")


def tasks_of(agency: Agency) -> QuerySet[MaintenanceTask]:
    return MaintenanceTask.objects.filter(agency=agency)


def filtered(tasks: QuerySet[MaintenanceTask], query: TaskQuery) -> QuerySet[MaintenanceTask]:
    if query.client_id is not None:
        tasks = tasks.filter(client_id=query.client_id)
    if query.site_id is not None:
        tasks = tasks.filter(site_id=query.site_id)
    if query.date_from is not None:
        tasks = tasks.filter(date__gte=query.date_from)
    if query.date_to is not None:
        tasks = tasks.filter(date__lte=query.date_to)
    return tasks


def set_site(task: MaintenanceTask, agency: Agency, changes: dict[str, Any]) -> None:
    """site_id: an id sets the site, null clears it, absent leaves it (the model checks the client)."""
    if "site_id" not in changes:
        return
    task.site = take_reference(changes, "site_id", Site, agency, "site")


@router.get("", response=Page[TaskOut], summary="List maintenance tasks")
def list_tasks(request: HttpRequest, query: Query[TaskQuery]) -> dict[str, Any]:
    return paginate(filtered(tasks_of(agency_of(request)), query), query)


@router.post("", response={201: TaskOut}, summary="Record a maintenance task")
def create_task(request: HttpRequest, payload: TaskCreate) -> MaintenanceTask:
    agency = agency_of(request)
    changes = payload.changes()
    task = MaintenanceTask(agency=agency)
    task.client = take_required_reference(changes, "client_id", Client, agency, "client")
    set_site(task, agency, changes)
    assign(task, changes)
    return save_validated(task)


@router.get("/{id}", response=TaskOut, summary="Read a maintenance task")
def read_task(request: HttpRequest, id: QueryId) -> MaintenanceTask:
    return get_or_404(tasks_of(agency_of(request)), id, "maintenance task")


@router.patch("/{id}", response=TaskOut, summary="Change a maintenance task")
def update_task(request: HttpRequest, id: QueryId, payload: TaskPatch) -> MaintenanceTask:
    agency = agency_of(request)
    task = get_or_404(tasks_of(agency), id, "maintenance task")
    changes = payload.changes()
    refuse_nulls(changes, nullable=["site_id"])
    if (client := take_reference(changes, "client_id", Client, agency, "client")) is not None:
        task.client = client
    set_site(task, agency, changes)
    assign(task, changes)
    return save_validated(task)


@router.delete("/{id}", response={204: None}, summary="Delete a maintenance task")
def delete_task(request: HttpRequest, id: QueryId) -> None:
    get_or_404(tasks_of(agency_of(request)), id, "maintenance task").delete()
