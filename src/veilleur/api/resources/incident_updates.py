"""Public updates on an incident: what the client's status page and its subscribers read.

The first update records the incident's ``first_client_update_at``, the proof of when the client
was first told.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import AfterValidator, Field

from veilleur.api.auth import agency_of, token_of
from veilleur.api.crud import get_or_404
from veilleur.api.errors import api_error_from_django
from veilleur.api.fields import InputSchema, QueryId
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.api.resources.incidents import incidents_of
from veilleur.domain.validators import check_text
from veilleur.incidents.models import IncidentUpdate
from veilleur.incidents.updates import MAX_MESSAGE_LENGTH, post_update

router = Router(tags=["monitoring"])

UpdateStatus = Literal["investigating", "identified", "monitoring", "resolved"]
Message = Annotated[
    str,
    Field(max_length=MAX_MESSAGE_LENGTH, description="Shown as written on the page; not empty."),
    AfterValidator(check_text),
]


class IncidentUpdateOut(Schema):
    id: int
    incident_id: int
    status: str
    message: str
    posted_at: datetime
    posted_by: str = Field(description="Who posted it: a staff user's email or 'API token NAME'.")

    @staticmethod
    def resolve_posted_by(obj: IncidentUpdate) -> str:
        return obj.posted_by_label


class IncidentUpdateIn(InputSchema):
    status: UpdateStatus
    message: Message


class PostedUpdateOut(Schema):
    update: IncidentUpdateOut
    first_client_update_at: datetime | None = Field(
        description="When the client was first told: the first update's time, kept by later ones."
    )


@router.get(
    "/{id}/updates",
    response=Page[IncidentUpdateOut],
    summary="List an incident's public updates",
    description="Oldest first, paginated with limit and cursor.",
)
def list_updates(request: HttpRequest, id: QueryId, query: Query[PageQuery]) -> dict[str, Any]:
    incident = get_or_404(incidents_of(agency_of(request)), id, "incident")
    return paginate(IncidentUpdate.objects.filter(incident=incident), query)


@router.post(
    "/{id}/updates",
    response={201: PostedUpdateOut},
    summary="Post a public update on an incident",
    description="Shown on the client's status page and sent to its subscribers; posted by this "
    "token's name. The first one sets the incident's first_client_update_at.",
)
def create_update(request: HttpRequest, id: QueryId, payload: IncidentUpdateIn) -> dict[str, Any]:
    token = token_of(request)
    incident = get_or_404(incidents_of(token.agency), id, "incident")
    try:
        with transaction.atomic():
            update = post_update(
                incident, payload.status, payload.message, by_label=f"API token {token.name}"
            )
    except DjangoValidationError as exc:
        raise api_error_from_django(exc) from exc
    return {"update": update, "first_client_update_at": incident.first_client_update_at}
