"""Status pages over the API: one per client on a plan that includes it, a write-only password, a
custom domain that must be verified again when it changes, and components of the client's sites."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api, World, build_world
from tests.statuspages.dnsserver import DnsServer
from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Site
from veilleur.plans.models import Plan
from veilleur.statuspages.domains import verify_domain
from veilleur.statuspages.models import StatusComponent, StatusPage

SECRET = "correct horse battery"
STATUS_HOST = "status.agency.example"


@pytest.fixture
def blog(world: World) -> Site:
    return Site.objects.create(client=world.client, key="blog", name="Blog", url="https://blog.acme.example")


@pytest.fixture
def theirs(make_agency: Callable[..., Agency]) -> World:
    return build_world(make_agency("other", "Other agency"), prefix="rival")


def make_page(world: World, **fields: Any) -> StatusPage:
    values: dict[str, Any] = {"slug": world.client.key, "title": f"{world.client.name} status"}
    values.update(fields)
    return StatusPage.objects.create(client=world.client, **values)


def stored_state() -> list[tuple[Any, ...]]:
    """Every page and component, to prove that a refused request wrote nothing."""
    pages = StatusPage.objects.order_by("pk").values_list(
        "pk",
        "slug",
        "title",
        "visibility",
        "password_hash",
        "custom_domain",
        "embed_origins",
        "domain_token",
        "state_version",
    )
    components = StatusComponent.objects.order_by("pk").values_list(
        "pk", "page_id", "site_id", "public_name", "group", "position"
    )
    return [*pages, *components]


# Creating -----------------------------------------------------------------------------------------


def test_create_takes_the_clients_defaults_and_lists_components(api: Api, world: World, blog: Site) -> None:
    body = {
        "client_id": world.client.pk,
        "components": [
            {"site_id": blog.pk, "public_name": "Journal", "group": "Public"},
            {"site_id": world.site.pk},
        ],
    }
    response = api.post("/status-pages", body)

    assert response.status_code == 201, response.content
    page = response.json()
    assert (page["slug"], page["title"], page["language"]) == (
        world.client.key,
        world.client.name,
        world.client.language,
    )
    assert (page["visibility"], page["has_password"], page["custom_domain"]) == ("public", False, None)
    assert page["url"].endswith(f"/s/{world.client.key}/")
    assert page["domain_token"] == StatusPage.objects.get(pk=page["id"]).domain_token
    assert [(c["site_id"], c["name"], c["group"], c["position"]) for c in page["components"]] == [
        (blog.pk, "Journal", "Public", 0),
        (world.site.pk, world.site.name, "", 1),
    ]
    assert api.get(f"/status-pages/{page['id']}").json() == page


def test_create_with_every_field(api: Api, world: World) -> None:
    body = {
        "client_id": world.client.pk,
        "slug": "acme-status",
        "title": "Acme — service status",
        "language": "en",
        "visibility": "password",
        "password": SECRET,
        "logo_url": "https://acme.example/logo.svg",
        "favicon_url": "https://acme.example/favicon.ico",
        "primary_color": "#7C2D12",
        "accent_color": "#facc15",
        "footer_text": "Acme SARL",
        "footer_url": "https://acme.example/",
        "custom_domain": "Status.Acme.Example",
        "components": [{"site_id": world.site.pk, "position": 7}],
    }
    response = api.post("/status-pages", body)

    assert response.status_code == 201, response.content
    answer = response.json()
    assert SECRET not in response.content.decode()
    assert "password" not in answer and answer["has_password"] is True
    assert answer["primary_color"] == "#7c2d12"
    assert answer["custom_domain"] == "status.acme.example"
    assert answer["domain_verified_at"] is None
    assert answer["components"][0]["position"] == 7
    page = StatusPage.objects.get(pk=answer["id"])
    assert page.check_password(SECRET) and page.password_hash != SECRET
    for name in ("slug", "title", "language", "logo_url", "favicon_url", "footer_text", "footer_url"):
        assert getattr(page, name) == body[name]


def test_a_plan_without_a_status_page_is_refused_by_name(api: Api, world: World, agency: Agency) -> None:
    basic = Plan.objects.get(agency=agency, key="basic")
    bakery = Client.objects.create(agency=agency, key="bakery", name="Bakery", plan=basic)

    response = api.post("/status-pages", {"client_id": bakery.pk})

    assert response.status_code == 422, response.content
    message = response.json()["fields"]["client_id"]
    assert message == f"the plan {basic.name} does not include a status page"
    assert not StatusPage.objects.exists()


def test_a_second_page_for_a_client_is_a_conflict(api: Api, world: World) -> None:
    first = make_page(world)

    response = api.post("/status-pages", {"client_id": world.client.pk, "slug": "another"})

    assert response.status_code == 409, response.content
    assert f"id {first.pk}" in response.json()["fields"]["client_id"]
    assert StatusPage.objects.count() == 1


def test_slugs_are_one_namespace_for_the_whole_install(api: Api, world: World, theirs: World) -> None:
    StatusPage.objects.create(client=theirs.client, slug="shared", title="Theirs")

    response = api.post("/status-pages", {"client_id": world.client.pk, "slug": "shared"})

    assert response.status_code == 409, response.content
    assert "slug" in response.json()["fields"]
    assert "rival" not in response.content.decode() and "Theirs" not in response.content.decode()


def test_a_pending_claim_on_a_domain_blocks_nobody_and_the_owners_token_wins(
    api: Api, world: World, theirs: World, dns_server: DnsServer
) -> None:
    # Another agency claims the domain first and never verifies it.
    squatter = StatusPage.objects.create(
        client=theirs.client, slug="theirs", title="T", custom_domain="status.x.example"
    )

    response = api.post("/status-pages", {"client_id": world.client.pk, "custom_domain": "Status.X.example"})

    assert response.status_code == 201, response.content
    mine = StatusPage.objects.get(pk=response.json()["id"])
    assert mine.custom_domain == squatter.custom_domain == "status.x.example"
    dns_server.set_txt("_veilleur.status.x.example", f"veilleur-verify={mine.domain_token}")
    assert api.post(f"/status-pages/{mine.pk}/verify-domain").json()["verified"] is True

    # The squatter's page, verified by the DNS record of the real owner: refused, and it says why.
    with translation.override("en"):
        check = verify_domain(StatusPage.objects.get(pk=squatter.pk))
    assert not check.ok
    assert "status.x.example is already verified by another status page" in check.message
    assert StatusPage.objects.get(pk=squatter.pk).domain_verified_at is None


def test_a_site_of_another_client_is_named_by_its_place(
    api: Api, world: World, agency: Agency, blog: Site
) -> None:
    other = build_world(agency, prefix="other")

    response = api.post(
        "/status-pages",
        {"client_id": world.client.pk, "components": [{"site_id": blog.pk}, {"site_id": other.site.pk}]},
    )

    assert response.status_code == 422, response.content
    fields = response.json()["fields"]
    assert fields == {"components[1].site_id": f"site {other.site.pk} belongs to another client"}
    assert stored_state() == []


def test_sites_of_another_agency_do_not_exist(api: Api, world: World, theirs: World) -> None:
    response = api.post(
        "/status-pages", {"client_id": world.client.pk, "components": [{"site_id": theirs.site.pk}]}
    )

    assert response.status_code == 422
    assert response.json()["fields"] == {
        "components[0].site_id": f"there is no site with id {theirs.site.pk}"
    }
    client = api.post("/status-pages", {"client_id": theirs.client.pk})
    assert client.status_code == 422 and "client_id" in client.json()["fields"]
    assert stored_state() == []


def test_a_site_listed_twice_is_refused(api: Api, world: World) -> None:
    twice = [{"site_id": world.site.pk}, {"site_id": world.site.pk, "group": "again"}]

    response = api.post("/status-pages", {"client_id": world.client.pk, "components": twice})

    assert response.status_code == 422
    assert "already listed at components[0]" in response.json()["fields"]["components[1].site_id"]


def test_a_protected_page_needs_a_password_of_eight_characters(api: Api, world: World) -> None:
    missing = api.post("/status-pages", {"client_id": world.client.pk, "visibility": "password"})
    short = api.post(
        "/status-pages", {"client_id": world.client.pk, "visibility": "password", "password": "1234567"}
    )

    assert missing.status_code == 422 and "password" in missing.json()["fields"]
    assert short.status_code == 422 and "8" in short.json()["fields"]["password"]
    assert stored_state() == []


BAD_VALUES: list[tuple[str, Any]] = [
    ("slug", "Not A Slug"),
    ("slug", ""),
    ("title", ""),
    ("title", "x" * 201),
    ("language", "de"),
    ("visibility", "secret"),
    ("password", 12345678),
    ("password", "x" * 129),
    ("logo_url", "javascript:alert(1)"),
    ("favicon_url", "ftp://acme.example/favicon.ico"),
    ("footer_url", "https://intranet"),
    ("primary_color", "red"),
    ("accent_color", "#12345"),
    ("footer_text", "x" * 201),
    ("custom_domain", "127.0.0.1"),
    ("custom_domain", "localhost"),
    ("custom_domain", "status.acme.example:8443"),
    ("custom_domain", "https://status.acme.example/"),
    ("embed_origins", ["*"]),
    ("embed_origins", ["https://*.acme.example"]),
    ("embed_origins", ["'none'"]),
    ("embed_origins", ["http://www.acme.example"]),
    ("embed_origins", ["https://www.acme.example/embed"]),
    ("embed_origins", ["https://www.acme.example?x=1"]),
    ("embed_origins", ["https://user@www.acme.example"]),
    ("embed_origins", ["https://www.acme.example:99999"]),
    ("embed_origins", ["www.acme.example"]),
    ("embed_origins", ["https://www.acme.example; script-src *"]),
    ("embed_origins", [42]),
    ("embed_origins", "https://www.acme.example"),
    ("embed_origins", [f"https://s{n}.acme.example" for n in range(21)]),
    ("components", [{"site_id": "1"}]),
    ("components", [{"site": 1}]),
    ("components", [{"site_id": 1, "position": -1}]),
    ("components", [{"site_id": 1, "public_name": "x" * 201}]),
    ("components", {"site_id": 1}),
    ("client_id", None),
    ("title", "nul\x00byte"),
    ("unknown", "x"),
]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_bad_values_are_refused_by_name_and_write_nothing(
    api: Api, world: World, field: str, value: Any
) -> None:
    response = api.post("/status-pages", {"client_id": world.client.pk, field: value})

    assert response.status_code == 422, response.content
    fields = response.json()["fields"]
    assert field in fields or any(name.startswith(f"{field}[") for name in fields), fields
    assert stored_state() == []


def test_embed_origins_are_checked_normalised_and_cleared(api: Api, world: World) -> None:
    wanted = ["HTTPS://Www.Acme.Example:443/", "https://shop.acme.example:8443", "https://www.acme.example"]

    created = api.post("/status-pages", {"client_id": world.client.pk, "embed_origins": wanted})

    assert created.status_code == 201, created.content
    expected = ["https://www.acme.example", "https://shop.acme.example:8443"]
    assert created.json()["embed_origins"] == expected
    page = StatusPage.objects.get(pk=created.json()["id"])
    assert page.embed_origins == expected
    untouched = api.patch(f"/status-pages/{page.pk}", {"title": "New title"})
    assert untouched.json()["embed_origins"] == expected
    cleared = api.patch(f"/status-pages/{page.pk}", {"embed_origins": []})
    assert cleared.status_code == 200 and cleared.json()["embed_origins"] == []
    refused = api.patch(f"/status-pages/{page.pk}", {"embed_origins": ["https://*.acme.example"]})
    assert refused.status_code == 422
    assert "wildcards" in json.dumps(refused.json()["fields"])
    assert StatusPage.objects.get(pk=page.pk).embed_origins == []


# Changing ------------------------------------------------------------------------------------------


def test_patch_changes_only_what_is_sent_and_bumps_the_version(api: Api, world: World) -> None:
    page = make_page(world, footer_text="Kept")
    version = page.state_version

    response = api.patch(f"/status-pages/{page.pk}", {"title": "New title", "accent_color": "#ABCDEF"})

    assert response.status_code == 200, response.content
    page.refresh_from_db()
    assert (page.title, page.accent_color, page.footer_text) == ("New title", "#abcdef", "Kept")
    assert page.state_version > version


def test_protecting_a_page_needs_a_password_once(api: Api, world: World) -> None:
    page = make_page(world)

    refused = api.patch(f"/status-pages/{page.pk}", {"visibility": "password"})
    protected = api.patch(f"/status-pages/{page.pk}", {"visibility": "password", "password": SECRET})
    public = api.patch(f"/status-pages/{page.pk}", {"visibility": "public"})
    again = api.patch(f"/status-pages/{page.pk}", {"visibility": "password"})

    assert refused.status_code == 422 and "password" in refused.json()["fields"]
    assert protected.status_code == 200 and protected.json()["has_password"] is True
    assert public.status_code == 200 and again.status_code == 200, again.content
    page.refresh_from_db()
    assert page.is_protected and page.check_password(SECRET)
    changed = api.patch(f"/status-pages/{page.pk}", {"password": "another long secret"})
    assert changed.status_code == 200
    page.refresh_from_db()
    assert page.check_password("another long secret") and not page.check_password(SECRET)
    assert api.patch(f"/status-pages/{page.pk}", {"password": None}).status_code == 422


def test_a_new_custom_domain_must_be_verified_again(api: Api, world: World) -> None:
    page = make_page(world, custom_domain="status.acme.example")
    StatusPage.objects.filter(pk=page.pk).update(domain_verified_at=timezone.now())
    page.refresh_from_db()
    token = page.domain_token

    same = api.patch(f"/status-pages/{page.pk}", {"custom_domain": "STATUS.acme.example"})
    assert same.status_code == 200
    assert same.json()["domain_verified_at"] is not None and same.json()["domain_token"] == token
    assert same.json()["url"] == "https://status.acme.example/"

    moved = api.patch(f"/status-pages/{page.pk}", {"custom_domain": "etat.acme.example"})
    assert moved.status_code == 200
    assert moved.json()["domain_verified_at"] is None
    assert moved.json()["domain_token"] not in ("", token)
    assert moved.json()["url"].endswith(f"/s/{page.slug}/")

    cleared = api.patch(f"/status-pages/{page.pk}", {"custom_domain": None})
    assert cleared.status_code == 200 and cleared.json()["custom_domain"] is None
    assert api.patch(f"/status-pages/{page.pk}", {"custom_domain": ""}).json()["custom_domain"] is None


def test_components_are_replaced_as_a_whole(api: Api, world: World, blog: Site) -> None:
    page = make_page(world)
    kept = StatusComponent.objects.create(page=page, site=world.site, public_name="Old")
    StatusComponent.objects.create(page=page, site=blog, position=1)

    response = api.patch(
        f"/status-pages/{page.pk}", {"components": [{"site_id": world.site.pk, "public_name": "Shop"}]}
    )

    assert response.status_code == 200, response.content
    assert [(c["site_id"], c["name"]) for c in response.json()["components"]] == [(world.site.pk, "Shop")]
    assert list(StatusComponent.objects.filter(page=page).values_list("pk", flat=True)) == [kept.pk]
    untouched = api.patch(f"/status-pages/{page.pk}", {"title": "Title only"})
    assert len(untouched.json()["components"]) == 1
    emptied = api.patch(f"/status-pages/{page.pk}", {"components": []})
    assert emptied.json()["components"] == [] and not StatusComponent.objects.exists()


def test_a_refused_patch_changes_nothing(api: Api, world: World, agency: Agency) -> None:
    page = make_page(world)
    StatusComponent.objects.create(page=page, site=world.site)
    other = build_world(agency, prefix="other")
    before = stored_state()

    bad_site = api.patch(
        f"/status-pages/{page.pk}", {"title": "Changed", "components": [{"site_id": other.site.pk}]}
    )
    bad_url = api.patch(f"/status-pages/{page.pk}", {"title": "Changed", "footer_url": "https://intranet"})

    assert bad_site.status_code == 422 and bad_url.status_code == 422
    assert "footer_url" in bad_url.json()["fields"]
    assert stored_state() == before


def test_moving_a_page_to_another_client(api: Api, world: World, agency: Agency) -> None:
    page = make_page(world)
    StatusComponent.objects.create(page=page, site=world.site)
    other = build_world(agency, prefix="other")

    refused = api.patch(f"/status-pages/{page.pk}", {"client_id": other.client.pk})
    moved = api.patch(
        f"/status-pages/{page.pk}",
        {"client_id": other.client.pk, "components": [{"site_id": other.site.pk}]},
    )

    assert refused.status_code == 422 and "components" in refused.json()["fields"]
    assert moved.status_code == 200, moved.content
    assert moved.json()["client_id"] == other.client.pk
    assert [c["site_id"] for c in moved.json()["components"]] == [other.site.pk]


def test_delete_takes_the_components(api: Api, world: World) -> None:
    page = make_page(world)
    StatusComponent.objects.create(page=page, site=world.site)

    assert api.delete(f"/status-pages/{page.pk}").status_code == 204
    assert not StatusPage.objects.exists() and not StatusComponent.objects.exists()
    assert api.get(f"/status-pages/{page.pk}").status_code == 404


def test_verifying_a_page_without_a_domain_is_refused(api: Api, world: World) -> None:
    page = make_page(world)

    response = api.post(f"/status-pages/{page.pk}/verify-domain")

    assert response.status_code == 422
    assert "custom_domain" in response.json()["fields"]


@pytest.fixture
def dns_server(settings: Any) -> Iterator[DnsServer]:
    """A DNS server on loopback that the verification asks, with the records a test gives it."""
    server = DnsServer()
    server.start()
    settings.VEILLEUR_DNS_SERVER = ("127.0.0.1", server.port)
    settings.VEILLEUR_STATUS_HOST = STATUS_HOST
    yield server
    server.stop()


def test_verify_domain_says_which_records_are_missing_then_verifies(
    api: Api, world: World, dns_server: DnsServer
) -> None:
    page = make_page(world, custom_domain="status.acme.example")
    api.http.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"

    missing = api.post(f"/status-pages/{page.pk}/verify-domain")

    assert missing.status_code == 200, missing.content
    assert missing.json()["verified"] is False
    assert "status.acme.example does not exist in DNS" in missing.json()["message"]
    assert f'"veilleur-verify={page.domain_token}"' in missing.json()["message"]
    assert StatusPage.objects.get(pk=page.pk).domain_verified_at is None

    dns_server.set_txt("_veilleur.status.acme.example", f"veilleur-verify={page.domain_token}")
    verified = api.post(f"/status-pages/{page.pk}/verify-domain")

    assert verified.json()["verified"] is True, verified.json()
    read = api.get(f"/status-pages/{page.pk}").json()
    assert read["domain_verified_at"] is not None and read["url"] == "https://status.acme.example/"


def test_a_new_domain_starts_over_with_a_new_token(api: Api, world: World, dns_server: DnsServer) -> None:
    page = make_page(world, custom_domain="status.acme.example")
    dns_server.set_txt("_veilleur.status.acme.example", f"veilleur-verify={page.domain_token}")
    assert api.post(f"/status-pages/{page.pk}/verify-domain").json()["verified"] is True
    dns_server.set_txt("_veilleur.etat.acme.example", f"veilleur-verify={page.domain_token}")

    moved = api.patch(f"/status-pages/{page.pk}", {"custom_domain": "etat.acme.example"})
    stale_token = api.post(f"/status-pages/{page.pk}/verify-domain").json()

    assert moved.json()["domain_verified_at"] is None
    assert stale_token["verified"] is False and "another token" in stale_token["message"]


# Tenancy and lists -----------------------------------------------------------------------------------


def test_another_agencys_page_is_a_404_everywhere(api: Api, world: World, theirs: World) -> None:
    page = StatusPage.objects.create(client=theirs.client, slug="rival", title="Rival status")
    before = stored_state()

    for response in (
        api.get(f"/status-pages/{page.pk}"),
        api.patch(f"/status-pages/{page.pk}", {"title": "Taken over"}),
        api.delete(f"/status-pages/{page.pk}"),
        api.post(f"/status-pages/{page.pk}/verify-domain"),
    ):
        assert response.status_code == 404, response.content
        assert "Rival" not in response.content.decode()
    assert stored_state() == before
    assert api.get("/status-pages").json()["items"] == []
    assert api.get("/status-pages", {"client_id": theirs.client.pk}).json()["items"] == []


def test_list_filters_by_client_and_costs_the_same_for_many_pages(
    api: Api, world: World, agency: Agency
) -> None:
    mine = make_page(world)
    StatusComponent.objects.create(page=mine, site=world.site)
    api.get("/plans")  # the token's last-use write happens on the first request only

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/status-pages", {"limit": 200}).status_code == 200
        return len(captured.captured_queries)

    one = queries()
    for n in range(5):
        extra = build_world(agency, prefix=f"extra{n}")
        page = make_page(extra)
        StatusComponent.objects.create(page=page, site=extra.site)
    assert queries() == one
    filtered = api.get("/status-pages", {"client_id": world.client.pk}).json()["items"]
    assert [page["id"] for page in filtered] == [mine.pk]
    assert len(api.get("/status-pages", {"limit": 200}).json()["items"]) == 6


def test_the_openapi_document_lists_the_status_pages(api: Api) -> None:
    paths = api.http.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/status-pages"]) == {"get", "post"}
    assert set(paths["/api/v1/status-pages/{id}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/status-pages/{id}/verify-domain"]) == {"post"}
    schema = json.dumps(api.http.get("/api/v1/openapi.json").json()["components"]["schemas"]["StatusPageOut"])
    assert "password_hash" not in schema and '"password"' not in schema


# Garbage in -----------------------------------------------------------------------------------------

FIELDS = [
    "client_id",
    "slug",
    "title",
    "language",
    "visibility",
    "password",
    "logo_url",
    "favicon_url",
    "primary_color",
    "accent_color",
    "footer_text",
    "footer_url",
    "custom_domain",
    "embed_origins",
    "components",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.integers(min_value=1, max_value=5)
    | st.text(max_size=30)
    | st.sampled_from(
        ["", "public", "password", "fr", "https://x.example", "#abcdef", "status.x.example", "12345678", "*"]
    )
)
components = st.lists(
    st.dictionaries(
        st.sampled_from(["site_id", "public_name", "group", "position"]) | st.text(max_size=5),
        scalars,
        max_size=4,
    ),
    max_size=3,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
)
bodies = st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=8), json_values | components, max_size=8
) | st.fixed_dictionaries({"components": components}, optional={"client_id": st.integers(1, 5)})
GARBAGE = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_client_error_or_success(response: Any) -> None:
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body["error"], str) and body["error"]
        assert isinstance(body["fields"], dict)


@GARBAGE
@given(body=bodies | json_values)
def test_create_never_answers_a_server_error(api: Api, world: World, body: Any) -> None:
    assert_client_error_or_success(api.post("/status-pages", raw=json.dumps(body)))


@GARBAGE
@given(body=bodies | json_values)
def test_patch_never_answers_a_server_error(api: Api, world: World, body: Any) -> None:
    page = StatusPage.objects.filter(client=world.client).first() or make_page(world)
    response = api.patch(f"/status-pages/{page.pk}", raw=json.dumps(body))
    assert_client_error_or_success(response)
    page.refresh_from_db()
    assert not page.is_protected or page.password_hash
