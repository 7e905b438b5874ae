"""Portal users: the people at a client who sign in to the client portal. Listed and invited
here; a password is never part of the API (the invited person chooses it through the link)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import AfterValidator, Field

from veilleur.accounts.models import Agency
from veilleur.api.auth import agency_of
from veilleur.api.crud import get_or_404, take_required_reference
from veilleur.api.errors import field_error
from veilleur.api.fields import Email, InputSchema, ObjectId, QueryId
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.clients.models import Client
from veilleur.domain.validators import check_name
from veilleur.portal.mail import MailNotSent, send_invitation
from veilleur.portal.models import ClientUser, Invitation
from veilleur.portal.staff import invite

router = Router(tags=["portal users"])

UserName = Annotated[str, Field(max_length=200), AfterValidator(check_name)]


class PortalUserOut(Schema):
    id: int
    client_id: int
    email: str
    name: str
    state: str = Field(description="invited, active (has signed in) or revoked")
    invited_at: datetime
    activated_at: datetime | None
    revoked_at: datetime | None
    invitation_sent: bool = Field(False, description="On creation: whether the invitation mail left")


class PortalUserCreate(InputSchema):
    client_id: ObjectId
    email: Email
    name: UserName = ""


class PortalUserQuery(PageQuery):
    client_id: QueryId | None = None


def users_of(agency: Agency) -> QuerySet[ClientUser]:
    return ClientUser.objects.filter(agency=agency).order_by("id")


@router.get("", response=Page[PortalUserOut], summary="List portal users")
def list_portal_users(request: HttpRequest, query: Query[PortalUserQuery]) -> dict[str, Any]:
    users = users_of(agency_of(request))
    if query.client_id is not None:
        users = users.filter(client_id=query.client_id)
    return paginate(users, query)


@router.post("", response={201: PortalUserOut}, summary="Invite someone to a client's portal")
def invite_portal_user(request: HttpRequest, payload: PortalUserCreate) -> dict[str, Any]:
    """Creates the user and e-mails them a one-time link (valid 7 days) to choose their password."""
    agency = agency_of(request)
    changes = payload.changes()
    client: Client = take_required_reference(changes, "client_id", Client, agency, "client")
    if not client.plan.client_portal:
        raise field_error("client_id", "the plan of this client does not include the client portal")
    email = str(changes["email"]).strip().lower()
    if ClientUser.objects.filter(client=client, email=email).exists():
        raise field_error("email", "this person already has a portal login for this client")
    user, token = invite(client, email, str(changes.get("name", "")))
    try:
        send_invitation(user, token)
        sent = True
    except MailNotSent:
        sent = False
    return {**_out(user), "invitation_sent": sent}


@router.post("/{id}/revoke", response=PortalUserOut, summary="Revoke a portal user's access")
def revoke_portal_user(request: HttpRequest, id: QueryId) -> ClientUser:
    user = get_or_404(users_of(agency_of(request)), id, "portal user")
    now = timezone.now()
    ClientUser.objects.filter(pk=user.pk, revoked_at__isnull=True).update(revoked_at=now)
    Invitation.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    user.refresh_from_db()
    return user


def _out(user: ClientUser) -> dict[str, Any]:
    return {
        field: getattr(user, field)
        for field in ("id", "client_id", "email", "name", "state", "invited_at", "activated_at", "revoked_at")
    }
