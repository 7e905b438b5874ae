"""Every kind of response carries the headers that bound what a browser does with it: a
Content-Security-Policy suited to it, nosniff, a Referrer-Policy, no framing, and HSTS when the
install is served over HTTPS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient
from django.test import override_settings

from tests.statuspages.conftest import make_client_with_page
from veilleur.accounts.models import Agency
from veilleur.security_headers import (
    APPLICATION_POLICY,
    BADGE_POLICY,
    MACHINE_READ_POLICY,
    STATUS_PAGE_POLICY,
)
from veilleur.statuspages.models import StatusPage

pytestmark = pytest.mark.django_db

DOMAIN = "status.bakery.test"


@pytest.fixture
def pages(agency: Agency) -> tuple[StatusPage, StatusPage]:
    cache.clear()
    public, _sites, _monitors = make_client_with_page(agency, "bakery", "Bakery", [("shop", "Web shop")])
    StatusPage.objects.filter(pk=public.pk).update(custom_domain=DOMAIN, domain_verified_at=public.created_at)
    protected, _sites, _monitors = make_client_with_page(agency, "florist", "Florist", [("www", "Shop")])
    protected.visibility = StatusPage.Visibility.PASSWORD
    protected.set_password("croissant-2026")
    protected.save()
    return public, protected


def fetch(path: str, host: str = "127.0.0.1", method: str = "get") -> dict[str, str]:
    response = getattr(HttpClient(), method)(path, HTTP_HOST=host)
    assert response.status_code < 500, (path, response.status_code)
    return {name.lower(): value for name, value in response.headers.items()}


def assert_common(headers: dict[str, str]) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


APPLICATION_PATHS = [
    "/login/",  # the staff sign-in
    "/",  # redirected to sign-in
    "/incidents/",
    "/admin/login/",
    "/api/v1/plans",  # 401 in JSON
    "/api/v1/docs",  # the API reference page
    "/no/such/page/",
]


@pytest.mark.parametrize("path", APPLICATION_PATHS)
def test_application_pages(pages: object, path: str) -> None:
    headers = fetch(path)
    assert headers["content-security-policy"] == APPLICATION_POLICY
    assert headers["x-frame-options"] == "DENY"
    assert_common(headers)


STATUS_PAGE_PATHS = [
    ("/s/bakery/", "127.0.0.1"),
    ("/s/bakery/history/", "127.0.0.1"),
    ("/s/bakery/no-such-path/", "127.0.0.1"),  # the page's branded 404
    ("/s/no-such-page/", "127.0.0.1"),
    ("/s/bakery/subscriptions/confirm/not-a-token/", "127.0.0.1"),
    ("/s/florist/", "127.0.0.1"),  # the password form
    ("/s/florist/history/", "127.0.0.1"),
    ("/", DOMAIN),  # the page on its own domain
    ("/history/", DOMAIN),
]


@pytest.mark.parametrize(("path", "host"), STATUS_PAGE_PATHS)
def test_status_pages(pages: object, path: str, host: str) -> None:
    headers = fetch(path, host)
    assert headers["content-security-policy"] == STATUS_PAGE_POLICY
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert_common(headers)


def test_status_page_forms_answers(pages: object) -> None:
    wrong = fetch("/s/florist/unlock/", method="post")
    assert wrong["content-security-policy"] == STATUS_PAGE_POLICY
    subscribed = fetch("/s/bakery/subscribe/", method="post")
    assert subscribed["content-security-policy"] == STATUS_PAGE_POLICY


@pytest.mark.parametrize("host", ["127.0.0.1", DOMAIN])
@pytest.mark.parametrize(
    ("path", "policy"),
    [
        ("badge/status.svg", BADGE_POLICY),
        ("badge/uptime.svg?window=7d", BADGE_POLICY),
        ("feed.rss", MACHINE_READ_POLICY),
        ("feed.atom", MACHINE_READ_POLICY),
        ("api/status.json", MACHINE_READ_POLICY),
    ],
)
def test_machine_read_outputs(pages: object, host: str, path: str, policy: str) -> None:
    root = "/s/bakery/" if host == "127.0.0.1" else "/"
    headers = fetch(root + path, host)
    assert headers["content-security-policy"] == policy
    assert_common(headers)


def test_no_hsts_on_a_plain_http_install(pages: object) -> None:
    assert "strict-transport-security" not in fetch("/login/")
    assert "strict-transport-security" not in fetch("/s/bakery/")


@override_settings(VEILLEUR_HSTS_SECONDS=31_536_000)
@pytest.mark.parametrize(
    ("path", "host"),
    [
        ("/login/", "127.0.0.1"),
        ("/api/v1/plans", "127.0.0.1"),
        ("/s/bakery/", "127.0.0.1"),
        ("/", DOMAIN),
        ("/s/bakery/badge/status.svg", "127.0.0.1"),
        ("/feed.atom", DOMAIN),
    ],
)
def test_hsts_when_served_over_https(pages: object, path: str, host: str) -> None:
    assert fetch(path, host)["strict-transport-security"] == "max-age=31536000"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"VEILLEUR_BASE_URL": "https://veilleur.agency.example"}, "31536000"),
        ({"VEILLEUR_BASE_URL": "http://127.0.0.1:8000"}, "0"),
        ({"VEILLEUR_BASE_URL": "https://veilleur.agency.example", "VEILLEUR_HSTS_SECONDS": "300"}, "300"),
        ({"VEILLEUR_BASE_URL": "https://veilleur.agency.example", "VEILLEUR_HSTS_SECONDS": "0"}, "0"),
    ],
)
def test_hsts_follows_the_base_url_unless_set(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import veilleur.settings as s; print(s.VEILLEUR_HSTS_SECONDS)"],
        env={**os.environ, "VEILLEUR_DATA_DIR": str(tmp_path), "VEILLEUR_HSTS_SECONDS": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected
