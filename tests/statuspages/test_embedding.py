"""A status page may be shown in a frame by the sites the agency lists on it, and by no other:
the page's HTML answers say so in ``frame-ancestors``; feeds, the JSON summary and badges keep
their own policies; the headers follow the setting even when the rendering comes from the cache."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.utils import translation

from tests.statuspages.conftest import make_client_with_page
from tests.statuspages.test_admin import PAGES, client_with_sites, form_errors, page_form
from veilleur.accounts.models import Agency, StaffUser
from veilleur.security_headers import BADGE_POLICY, MACHINE_READ_POLICY, STATUS_PAGE_POLICY
from veilleur.statuspages.models import StatusPage

pytestmark = pytest.mark.django_db

DOMAIN = "status.bakery.test"
ORIGINS = ["https://www.bakery.example", "https://intranet.bakery.example:8443"]


@pytest.fixture
def bakery(agency: Agency) -> StatusPage:
    cache.clear()
    page, _sites, _monitors = make_client_with_page(agency, "bakery", "Bakery", [("shop", "Web shop")])
    StatusPage.objects.filter(pk=page.pk).update(custom_domain=DOMAIN, domain_verified_at=page.created_at)
    page.refresh_from_db()
    return page


def allow(page: StatusPage, origins: list[str]) -> None:
    page.refresh_from_db()
    page.embed_origins = origins
    page.full_clean()
    page.save()


def headers_of(path: str, host: str = "127.0.0.1", method: str = "get", **data: Any) -> dict[str, str]:
    response = getattr(HttpClient(), method)(path, data, HTTP_HOST=host)
    assert response.status_code < 500, (path, response.status_code)
    return {name.lower(): value for name, value in response.headers.items()}


def frame_ancestors(headers: dict[str, str]) -> str:
    [directive] = [
        part.strip() for part in headers["content-security-policy"].split(";") if "frame-ancestors" in part
    ]
    return directive


HTML_PATHS = [
    ("/s/bakery/", "127.0.0.1"),
    ("/s/bakery/history/", "127.0.0.1"),
    ("/s/bakery/subscriptions/confirm/not-a-token/", "127.0.0.1"),
    ("/s/bakery/subscriptions/unsubscribe/not-a-token/", "127.0.0.1"),
    ("/s/bakery/no-such-path/", "127.0.0.1"),
    ("/", DOMAIN),
    ("/history/", DOMAIN),
]


@pytest.mark.parametrize(("path", "host"), HTML_PATHS)
def test_the_pages_html_names_the_allowed_origins(bakery: StatusPage, path: str, host: str) -> None:
    allow(bakery, ORIGINS)

    headers = headers_of(path, host)

    assert (
        frame_ancestors(headers)
        == "frame-ancestors https://www.bakery.example https://intranet.bakery.example:8443"
    )
    assert "x-frame-options" not in headers
    # Everything else of the policy is the status page's.
    rest = STATUS_PAGE_POLICY.replace("frame-ancestors 'none'", "")
    assert headers["content-security-policy"].startswith(rest)


@pytest.mark.parametrize(("path", "host"), HTML_PATHS)
def test_without_origins_no_site_may_frame_the_page(bakery: StatusPage, path: str, host: str) -> None:
    headers = headers_of(path, host)

    assert headers["content-security-policy"] == STATUS_PAGE_POLICY
    assert frame_ancestors(headers) == "frame-ancestors 'none'"
    assert headers["x-frame-options"] == "DENY"


def test_the_subscription_form_answer_names_the_origins(bakery: StatusPage) -> None:
    allow(bakery, ORIGINS[:1])
    headers = headers_of("/s/bakery/subscribe/", method="post", email="fan@example.com")
    assert frame_ancestors(headers) == "frame-ancestors https://www.bakery.example"
    assert "x-frame-options" not in headers


@pytest.mark.parametrize("host", ["127.0.0.1", DOMAIN])
@pytest.mark.parametrize(
    ("path", "policy"),
    [
        ("badge/status.svg", BADGE_POLICY),
        ("feed.rss", MACHINE_READ_POLICY),
        ("feed.atom", MACHINE_READ_POLICY),
        ("api/status.json", MACHINE_READ_POLICY),
    ],
)
def test_feeds_json_and_badges_keep_their_own_policy(
    bakery: StatusPage, host: str, path: str, policy: str
) -> None:
    allow(bakery, ORIGINS)
    root = "/s/bakery/" if host == "127.0.0.1" else "/"
    headers = headers_of(root + path, host)
    assert headers["content-security-policy"] == policy
    assert headers["x-frame-options"] == "DENY"


def test_a_password_protected_page_names_the_origins_on_its_form(agency: Agency) -> None:
    cache.clear()
    page, _sites, _monitors = make_client_with_page(agency, "florist", "Florist", [("www", "Shop")])
    page.visibility = StatusPage.Visibility.PASSWORD
    page.set_password("croissant-2026")
    page.save()
    allow(page, ORIGINS[:1])
    assert frame_ancestors(headers_of("/s/florist/")) == "frame-ancestors https://www.bakery.example"


def test_the_headers_follow_the_setting_not_the_cached_rendering(bakery: StatusPage) -> None:
    first = HttpClient().get("/s/bakery/")
    allow(bakery, ORIGINS[:1])
    allowed = HttpClient().get("/s/bakery/")
    allow(bakery, [])
    refused = HttpClient().get("/s/bakery/")
    # The same rendering each time (nothing the page shows changed but the setting).
    assert first.content == allowed.content == refused.content
    assert (
        frame_ancestors({"content-security-policy": allowed.headers["Content-Security-Policy"]})
        == "frame-ancestors https://www.bakery.example"
    )
    assert refused.headers["Content-Security-Policy"] == STATUS_PAGE_POLICY
    assert refused.headers["X-Frame-Options"] == "DENY"


def test_a_stored_value_that_is_no_origin_never_reaches_the_header(bakery: StatusPage) -> None:
    # Written around the validation (as a hand-edited database could): the header stays closed.
    StatusPage.objects.filter(pk=bakery.pk).update(embed_origins=["https://x.example; script-src *", "*"])
    headers = headers_of("/s/bakery/")
    assert headers["content-security-policy"] == STATUS_PAGE_POLICY
    assert headers["x-frame-options"] == "DENY"


BAD_ORIGINS = [
    ("*", "wildcards"),
    ("https://*.bakery.example", "wildcards"),
    ("'none'", "keywords"),
    ("'self'", "keywords"),
    ("http://www.bakery.example", "only https://"),
    ("www.bakery.example", "only https://"),
    ("https://www.bakery.example/embed/", "no path"),
    ("https://www.bakery.example?x=1", "no path"),
    ("https://user@www.bakery.example", "no path"),
    ("https://www.bakery.example:0", "port"),
    ("https://www.bakery.example:70000", "port"),
    ("https://-bad-.example", "not a host name"),
    ("https://[not:an:ip", "no path"),
]


@pytest.mark.parametrize(("origin", "said"), BAD_ORIGINS)
def test_the_model_refuses_what_is_not_an_https_origin(bakery: StatusPage, origin: str, said: str) -> None:
    bakery.embed_origins = [origin]
    with pytest.raises(ValidationError) as raised:
        bakery.full_clean()
    with translation.override("en"):  # the model's words, read in English (French: tests/i18n)
        [message] = raised.value.message_dict["embed_origins"]
    assert repr(origin) in message and said in message


def test_the_model_stores_origins_normalised(bakery: StatusPage) -> None:
    allow(bakery, ["HTTPS://WWW.Bakery.example:443/", "https://[::1]:8443", "https://www.bakery.example"])
    assert StatusPage.objects.get(pk=bakery.pk).embed_origins == [
        "https://www.bakery.example",
        "https://[::1]:8443",
    ]


@pytest.fixture
def signed_in(client: HttpClient, owner: StaffUser) -> HttpClient:
    client.force_login(owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_admin_takes_one_origin_per_line(signed_in: HttpClient, agency: Agency) -> None:
    mine = client_with_sites(agency, "boulangerie")
    typed = "https://www.boulangerie.example\r\nHTTPS://Intranet.Boulangerie.example:8443/\r\n"

    response = signed_in.post(f"{PAGES}add/", page_form(mine, embed_origins=typed))

    assert response.status_code == 302, form_errors(response)
    page = StatusPage.objects.get(client=mine)
    assert page.embed_origins == [
        "https://www.boulangerie.example",
        "https://intranet.boulangerie.example:8443",
    ]
    shown = signed_in.get(f"{PAGES}{page.pk}/change/").content.decode()
    assert "https://www.boulangerie.example\nhttps://intranet.boulangerie.example:8443</textarea>" in shown


def test_the_admin_names_a_bad_origin(signed_in: HttpClient, agency: Agency) -> None:
    mine = client_with_sites(agency, "boulangerie")

    response = signed_in.post(
        f"{PAGES}add/", page_form(mine, embed_origins="https://www.boulangerie.example\nhttps://*.example")
    )

    assert response.status_code == 200
    errors = form_errors(response)
    assert "embed_origins" in errors, errors
    assert "https://*.example" in str(errors["embed_origins"])
    assert not StatusPage.objects.filter(client=mine).exists()
