"""Contacts: the people at a client who receive reports and incident notices."""

from __future__ import annotations

from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import AfterValidator, Field

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
from veilleur.api.fields import Email, InputSchema, ObjectId, QueryId, StrictBoolean
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.clients.models import Client, Contact
from veilleur.domain.validators import check_name

router = Router(tags=["contacts"])

ContactName = Annotated[str, Field(max_length=200), AfterValidator(check_name)]


class ContactOut(Schema):
    id: int
    client_id: int
    name: str
    email: str
    receives_reports: bool
    receives_incident_notices: bool


class ContactCreate(InputSchema):
    client_id: ObjectId
    email: Email
    name: ContactName = ""
    receives_reports: StrictBoolean = True
    receives_incident_notices: StrictBoolean = False


class ContactPatch(InputSchema):
    client_id: ObjectId | None = None
    email: Email | None = None
    name: ContactName | None = None
    receives_reports: StrictBoolean | None = None
    receives_incident_notices: StrictBoolean | None = None


class ContactQuery(PageQuery):
    client_id: QueryId | None = None


def contacts_of(agency: Agency) -> QuerySet[Contact]:
    return Contact.objects.filter(agency=agency)


@router.get("", response=Page[ContactOut], summary="List contacts")
def list_contacts(request: HttpRequest, query: Query[ContactQuery]) -> dict[str, Any]:
    contacts = contacts_of(agency_of(request))
    if query.client_id is not None:
        contacts = contacts.filter(client_id=query.client_id)
    return paginate(contacts, query)


@router.post("", response={201: ContactOut}, summary="Create a contact")
def create_contact(request: HttpRequest, payload: ContactCreate) -> Contact:
    """The email address is stored in lower case and must be unique per client."""
    agency = agency_of(request)
    changes = payload.changes()
    contact = Contact(agency=agency)
    contact.client = take_required_reference(changes, "client_id", Client, agency, "client")
    assign(contact, changes)
    return save_validated(contact)


@router.get("/{id}", response=ContactOut, summary="Read a contact")
def read_contact(request: HttpRequest, id: QueryId) -> Contact:
    return get_or_404(contacts_of(agency_of(request)), id, "contact")


@router.patch("/{id}", response=ContactOut, summary="Change a contact")
def update_contact(request: HttpRequest, id: QueryId, payload: ContactPatch) -> Contact:
    agency = agency_of(request)
    contact = get_or_404(contacts_of(agency), id, "contact")
    changes = payload.changes()
    refuse_nulls(changes)
    if (client := take_reference(changes, "client_id", Client, agency, "client")) is not None:
        contact.client = client
    assign(contact, changes)
    return save_validated(contact)


@router.delete("/{id}", response={204: None}, summary="Delete a contact")
def delete_contact(request: HttpRequest, id: QueryId) -> None:
    get_or_404(contacts_of(agency_of(request)), id, "contact").delete()
