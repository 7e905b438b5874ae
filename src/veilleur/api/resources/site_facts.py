"""A site's domain registration and software, as the worker last saw them (read only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from veilleur.api.auth import agency_of
from veilleur.api.crud import get_or_404
from veilleur.api.fields import QueryId
from veilleur.api.resources.sites import sites_of
from veilleur.cms.facts import software_facts
from veilleur.domains.facts import domain_facts

router = Router(tags=["sites"])


class DomainOut(Schema):
    site_id: int
    watched: bool = Field(
        description="Whether the site's plan includes SSL certificate and domain monitoring."
    )
    domain: str | None = Field(description="The registrable domain; null when the address is not one.")
    state: str = Field(
        description="found, not_published (the registry publishes no expiry date), unknown_domain, "
        "error, pending (not looked up yet), not_watched or no_domain."
    )
    expires_at: datetime | None
    days_left: int | None
    registrar: str
    checked_at: datetime | None
    error: str


class SoftwareChangeOut(Schema):
    product: str
    version: str
    previous_product: str
    previous_version: str
    detected_at: datetime
    evidence: str


class SoftwareOut(Schema):
    site_id: int
    watched: bool = Field(description="Whether the site's plan includes CMS versions.")
    product: str = Field(description="The CMS last recognised; empty when none was.")
    version: str
    checked_at: datetime | None
    error: str
    changes: list[SoftwareChangeOut] = Field(description="The latest changes seen, newest first.")


@router.get("/{id}/domain", response=DomainOut, summary="A site's domain registration")
def site_domain(request: HttpRequest, id: QueryId) -> dict[str, Any]:
    site = get_or_404(sites_of(agency_of(request)).select_related("client__plan"), id, "site")
    facts = domain_facts(site, datetime.now(UTC))
    return {"site_id": site.pk, **facts.__dict__}


@router.get("/{id}/software", response=SoftwareOut, summary="A site's CMS and its changes")
def site_software(request: HttpRequest, id: QueryId) -> dict[str, Any]:
    site = get_or_404(sites_of(agency_of(request)).select_related("client__plan"), id, "site")
    facts = software_facts(site, changes=50)
    return {"site_id": site.pk, **facts.__dict__}
