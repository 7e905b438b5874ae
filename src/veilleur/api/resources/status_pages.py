"""Status pages: each client's public page, its branding, custom domain and the sites it shows.

A page's password is write-only (answers say ``has_password``); the custom domain's
``domain_token`` is shown, as it is what the client publishes in DNS to prove the domain is theirs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import translation
from ninja import Query, Router, Schema
from pydantic import AfterValidator, Field, Strict

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
from veilleur.api.errors import ApiError, field_error
from veilleur.api.fields import (
    InputSchema,
    Key,
    Language,
    Name,
    ObjectId,
    OptionalColor,
    OptionalHttpUrl,
    QueryId,
)
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.clients.models import Client, Site
from veilleur.domain.validators import (
    MAX_EMBED_ORIGINS,
    check_domain,
    check_embed_origin,
    check_embed_origins,
    check_name,
)
from veilleur.statuspages.domains import verify_domain
from veilleur.statuspages.links import page_url
from veilleur.statuspages.models import StatusComponent, StatusPage

router = Router(tags=["status pages"])

MIN_PASSWORD_LENGTH = 8
MAX_COMPONENTS = 500


def _optional_domain(value: str) -> str:
    return check_domain(value) if value.strip() else ""


Visibility = Literal["public", "password"]
Password = Annotated[
    str,
    Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=128,
        description="Write-only. Required to make a page password-protected the first time.",
    ),
]
OptionalDomain = Annotated[
    str,
    Field(max_length=253, description="e.g. status.example.com; empty or null: none."),
    AfterValidator(_optional_domain),
]
EmbedOrigins = Annotated[
    list[Annotated[str, Field(max_length=300), AfterValidator(check_embed_origin)]],
    Field(
        max_length=MAX_EMBED_ORIGINS,
        description="The https origins (https://host[:port], no path, no wildcard) whose pages may show "
        "this page, its history and subscription pages in a frame. Empty: no site may.",
    ),
    AfterValidator(check_embed_origins),
]
FooterText = Annotated[str, Field(max_length=200), AfterValidator(check_name)]
PublicName = Annotated[
    str, Field(max_length=200, description="Empty: the site's name."), AfterValidator(check_name)
]
Group = Annotated[str, Field(max_length=100), AfterValidator(check_name)]
Position = Annotated[int, Strict(), Field(ge=0, le=32767)]


class ComponentIn(InputSchema):
    site_id: ObjectId
    public_name: PublicName = ""
    group: Group = ""
    position: Position | None = Field(None, description="Omitted: the entry's place in the list.")


Components = Annotated[
    list[ComponentIn],
    Field(max_length=MAX_COMPONENTS, description="The sites the page shows; replaces the whole list."),
]


class ComponentOut(Schema):
    site_id: int
    site_key: str
    public_name: str
    name: str = Field(description="What the page shows: public_name, or the site's name.")
    group: str
    position: int


class StatusPageOut(Schema):
    id: int
    client_id: int
    slug: str
    title: str
    language: str
    visibility: str
    has_password: bool
    url: str = Field(description="The page's address: its verified custom domain, or /s/<slug>/.")
    logo_url: str
    favicon_url: str
    primary_color: str
    accent_color: str
    footer_text: str
    footer_url: str
    custom_domain: str | None
    embed_origins: list[str]
    domain_token: str = Field(description="What the client publishes in DNS to prove the domain.")
    domain_verified_at: datetime | None
    components: list[ComponentOut]
    created_at: datetime


class StatusPageCreate(InputSchema):
    client_id: ObjectId
    slug: Key | None = Field(None, description="Omitted: the client's key. Unique across the install.")
    title: Name | None = Field(None, description="Omitted: the client's name.")
    language: Language | None = Field(None, description="Omitted: the client's language.")
    visibility: Visibility = "public"
    password: Password | None = None
    logo_url: OptionalHttpUrl = ""
    favicon_url: OptionalHttpUrl = ""
    primary_color: OptionalColor = ""
    accent_color: OptionalColor = ""
    footer_text: FooterText = ""
    footer_url: OptionalHttpUrl = ""
    custom_domain: OptionalDomain | None = None
    embed_origins: EmbedOrigins = Field(default_factory=list)
    components: Components = Field(default_factory=list)


class StatusPagePatch(InputSchema):
    client_id: ObjectId | None = None
    slug: Key | None = None
    title: Name | None = None
    language: Language | None = None
    visibility: Visibility | None = None
    password: Password | None = None
    logo_url: OptionalHttpUrl | None = None
    favicon_url: OptionalHttpUrl | None = None
    primary_color: OptionalColor | None = None
    accent_color: OptionalColor | None = None
    footer_text: FooterText | None = None
    footer_url: OptionalHttpUrl | None = None
    custom_domain: OptionalDomain | None = None
    embed_origins: EmbedOrigins | None = None
    components: Components | None = None


class StatusPageQuery(PageQuery):
    client_id: QueryId | None = None


class DomainCheckOut(Schema):
    verified: bool
    message: str


def pages_of(agency: Agency) -> QuerySet[StatusPage]:
    components = StatusComponent.objects.select_related("site").order_by("position", "id")
    return StatusPage.objects.filter(agency=agency).prefetch_related(Prefetch("components", components))


def page_view(page: StatusPage) -> dict[str, Any]:
    return {
        "id": page.pk,
        "client_id": page.client_id,
        "slug": page.slug,
        "title": page.title,
        "language": page.language,
        "visibility": page.visibility,
        "has_password": bool(page.password_hash),
        "url": page_url(page),
        "logo_url": page.logo_url,
        "favicon_url": page.favicon_url,
        "primary_color": page.primary_color,
        "accent_color": page.accent_color,
        "footer_text": page.footer_text,
        "footer_url": page.footer_url,
        "custom_domain": page.custom_domain,
        "embed_origins": page.embed_origins,
        "domain_token": page.domain_token,
        "domain_verified_at": page.domain_verified_at,
        "components": [
            {
                "site_id": component.site_id,
                "site_key": component.site.key,
                "public_name": component.public_name,
                "name": component.display_name,
                "group": component.group,
                "position": component.position,
            }
            for component in page.components.all()
        ],
        "created_at": page.created_at,
    }


def _fresh_view(agency: Agency, page: StatusPage) -> dict[str, Any]:
    # Read back with the prefetch, so the answer shows the components as stored.
    return page_view(pages_of(agency).get(pk=page.pk))


def check_client_may_have_page(client: Client, page: StatusPage | None = None) -> None:
    """The client's plan must include a status page, and the client may have only one."""
    if not client.plan.status_page:
        raise field_error("client_id", f"the plan {client.plan.name} does not include a status page")
    others = StatusPage.objects.filter(client=client)
    if page is not None:
        others = others.exclude(pk=page.pk)
    existing = others.first()
    if existing is not None:
        message = f"this client already has a status page (id {existing.pk})"
        raise ApiError(409, f"Conflict: {message}.", {"client_id": message})


def wanted_components(
    agency: Agency, client: Client, entries: list[Mapping[str, Any]]
) -> list[tuple[Site, dict[str, Any]]]:
    """Each entry's site (one of the client's, listed once) with the values to store."""
    sites = Site.objects.filter(agency=agency, pk__in={entry["site_id"] for entry in entries})
    by_id = {site.pk: site for site in sites}
    listed_at: dict[int, int] = {}
    wanted = []
    for index, entry in enumerate(entries):
        field = f"components[{index}].site_id"
        site = by_id.get(entry["site_id"])
        if site is None:
            raise field_error(field, f"there is no site with id {entry['site_id']}")
        if site.client_id != client.pk:
            raise field_error(field, f"site {site.pk} belongs to another client")
        if site.pk in listed_at:
            raise field_error(field, f"site {site.pk} is already listed at components[{listed_at[site.pk]}]")
        listed_at[site.pk] = index
        position = entry.get("position")
        values = {
            "public_name": entry.get("public_name", ""),
            "group": entry.get("group", ""),
            "position": index if position is None else position,
        }
        wanted.append((site, values))
    return wanted


def replace_components(page: StatusPage, wanted: Iterable[tuple[Site, dict[str, Any]]]) -> None:
    """Make the page show exactly ``wanted``; rows of sites still shown keep their ids."""
    stored = {component.site_id: component for component in StatusComponent.objects.filter(page=page)}
    keep = set()
    for site, values in wanted:
        component = stored.get(site.pk) or StatusComponent(page=page, site=site)
        keep.add(site.pk)
        if component.pk is None or any(getattr(component, k) != v for k, v in values.items()):
            assign(component, values)
            component.save()
    StatusComponent.objects.filter(page=page).exclude(site_id__in=keep).delete()


def _apply_changes(page: StatusPage, changes: dict[str, Any]) -> None:
    """Set what the body asks for, the password and custom domain through the model's own rules."""
    password = changes.pop("password", None)
    if "custom_domain" in changes:
        # A new domain must be verified again, with a new token.
        page.set_custom_domain(changes.pop("custom_domain"))
    assign(page, changes)
    if password is not None:
        page.set_password(password)
    if page.is_protected and not page.password_hash:
        raise field_error(
            "password",
            f"a password-protected page needs a password (at least {MIN_PASSWORD_LENGTH} characters)",
        )


def _save(page: StatusPage, components: list[tuple[Site, dict[str, Any]]] | None) -> StatusPage:
    # Saving the page and its components marks its cached renderings stale by itself.
    def after_save(saved: StatusPage) -> None:
        if components is not None:
            replace_components(saved, components)

    return save_validated(page, after_save=after_save)


@router.get("", response=Page[StatusPageOut], summary="List status pages")
def list_pages(request: HttpRequest, query: Query[StatusPageQuery]) -> dict[str, Any]:
    pages = pages_of(agency_of(request))
    if query.client_id is not None:
        pages = pages.filter(client_id=query.client_id)
    page = paginate(pages, query)
    return {**page, "items": [page_view(row) for row in page["items"]]}


@router.post("", response={201: StatusPageOut}, summary="Create a status page")
def create_page(request: HttpRequest, payload: StatusPageCreate) -> dict[str, Any]:
    """One page per client, whose plan must include a status page. slug, title and language
    default to the client's key, name and language."""
    agency = agency_of(request)
    changes = payload.changes()
    client = take_required_reference(changes, "client_id", Client, agency, "client")
    check_client_may_have_page(client)
    components = wanted_components(agency, client, changes.pop("components", []))
    page = StatusPage(
        agency=agency, client=client, slug=client.key, title=client.name, language=client.language
    )
    _apply_changes(page, {name: value for name, value in changes.items() if value is not None})
    _save(page, components)
    return _fresh_view(agency, page)


@router.get("/{id}", response=StatusPageOut, summary="Read a status page")
def read_page(request: HttpRequest, id: QueryId) -> dict[str, Any]:
    return page_view(get_or_404(pages_of(agency_of(request)), id, "status page"))


@router.patch("/{id}", response=StatusPageOut, summary="Change a status page")
def update_page(request: HttpRequest, id: QueryId, payload: StatusPagePatch) -> dict[str, Any]:
    """Only the fields sent change; ``components``, when sent, replaces the whole list. A new
    ``custom_domain`` must be verified again (it gets a new ``domain_token``)."""
    agency = agency_of(request)
    page = get_or_404(pages_of(agency), id, "status page")
    changes = payload.changes()
    refuse_nulls(changes, nullable=("custom_domain",))
    client = take_reference(changes, "client_id", Client, agency, "client")
    if client is not None and client.pk != page.client_id:
        check_client_may_have_page(client, page)
        page.client = client
    entries = changes.pop("components", None)
    if (
        entries is None
        and client is not None
        and any(c.site.client_id != client.pk for c in page.components.all())
    ):
        # The page moves to another client: the sites it shows must be that client's too.
        raise field_error("components", "the page shows sites of another client: send this client's sites")
    components = None if entries is None else wanted_components(agency, page.client, entries)
    _apply_changes(page, changes)
    _save(page, components)
    return _fresh_view(agency, page)


@router.delete("/{id}", response={204: None}, summary="Delete a status page")
def delete_page(request: HttpRequest, id: QueryId) -> None:
    """Deletes the page with its components and its subscribers."""
    get_or_404(pages_of(agency_of(request)), id, "status page").delete()


@router.post(
    "/{id}/verify-domain",
    response=DomainCheckOut,
    summary="Verify a status page's custom domain",
    description="Looks the DNS records of custom_domain up now: the TXT record at _veilleur.<custom_domain> "
    "holding veilleur-verify=<domain_token> proves the domain belongs to this page (a CNAME to this "
    "install's status host only routes visitors and proves nothing). Once verified, the page is served "
    "on the domain; when not, message says which records to create.",
)
def verify_page_domain(request: HttpRequest, id: QueryId) -> dict[str, Any]:
    page = get_or_404(pages_of(agency_of(request)), id, "status page")
    if not page.custom_domain:
        raise field_error("custom_domain", "this page has no custom domain to verify")
    with translation.override("en"):  # the API's answers are in English throughout
        check = verify_domain(page)
    return {"verified": check.ok, "message": check.message}
