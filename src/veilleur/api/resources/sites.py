"""Sites: a client's web sites, each watched by one or more monitors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema

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
from veilleur.api.fields import HttpUrl, InputSchema, Key, Name, NonNegativeInt, ObjectId, QueryId
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.clients.models import Client, Site

router = Router(tags=["sites"])


class SiteOut(Schema):
    id: int
    client_id: int
    key: str
    name: str
    url: str
    apdex_threshold_ms: int
    created_at: datetime


class SiteCreate(InputSchema):
    client_id: ObjectId
    key: Key
    name: Name
    url: HttpUrl
    apdex_threshold_ms: NonNegativeInt = 500


class SitePatch(InputSchema):
    client_id: ObjectId | None = None
    key: Key | None = None
    name: Name | None = None
    url: HttpUrl | None = None
    apdex_threshold_ms: NonNegativeInt | None = None


class SiteQuery(PageQuery):
    client_id: QueryId | None = None


def sites_of(agency: Agency) -> QuerySet[Site]:
    return Site.objects.filter(agency=agency)


@router.get("", response=Page[SiteOut], summary="List sites")
def list_sites(request: HttpRequest, query: Query[SiteQuery]) -> dict[str, Any]:
    sites = sites_of(agency_of(request))
    if query.client_id is not None:
        sites = sites.filter(client_id=query.client_id)
    return paginate(sites, query)


@router.post("", response={201: SiteOut}, summary="Create a site")
def create_site(request: HttpRequest, payload: SiteCreate) -> Site:
    agency = agency_of(request)
    changes = payload.changes()
    site = Site(agency=agency)
    site.client = take_required_reference(changes, "client_id", Client, agency, "client")
    assign(site, changes)
    return save_validated(site)


@router.get("/{id}", response=SiteOut, summary="Read a site")
def read_site(request: HttpRequest, id: QueryId) -> Site:
    return get_or_404(sites_of(agency_of(request)), id, "site")


@router.patch("/{id}", response=SiteOut, summary="Change a site")
def update_site(request: HttpRequest, id: QueryId, payload: SitePatch) -> Site:
    agency = agency_of(request)
    site = get_or_404(sites_of(agency), id, "site")
    changes = payload.changes()
    refuse_nulls(changes)
    if (client := take_reference(changes, "client_id", Client, agency, "client")) is not None:
        site.client = client
    assign(site, changes)
    return save_validated(site)


@router.delete("/{id}", response={204: None}, summary="Delete a site and its monitors")
def delete_site(request: HttpRequest, id: QueryId) -> None:
    """Deletes the site with its monitors and the maintenance tasks recorded for it."""
    get_or_404(sites_of(agency_of(request)), id, "site").delete()
