"""Logos are fetched once by the worker through the SSRF guard, checked and stored."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client as WebClient
from django.test import override_settings
from PIL import Image

from tests.clients.logo_server import LogoServer, image_bytes, serving
from veilleur.accounts.models import Agency, StaffUser
from veilleur.clients.logos import REFRESH_AFTER, RETRY_AFTER, logo_data_uri, refresh_logos
from veilleur.clients.models import BrandLogo
from veilleur.domain.images import MAX_LOGO_BYTES, NotALogo, check_logo

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
allow_private = override_settings(VEILLEUR_ALLOW_PRIVATE_TARGETS=True)
forbid_private = override_settings(VEILLEUR_ALLOW_PRIVATE_TARGETS=False)


@pytest.fixture
def server() -> Iterator[LogoServer]:
    yield from serving()


# --- what is accepted as a logo --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_raster_logos_are_accepted_by_their_content(fmt: str, media_type: str) -> None:
    logo = check_logo(image_bytes(fmt))
    assert (logo.media_type, logo.width, logo.height) == (media_type, 120, 40)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "SVG logos are not accepted"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG logos are not accepted"),
        (b"<html>not found</html>", "not a PNG, JPEG, GIF or WebP image"),
        (b"", "not a PNG, JPEG, GIF or WebP image"),
        (image_bytes("PNG")[:60], "not a valid PNG image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not a valid PNG image"),
    ],
)
def test_anything_else_is_refused_with_its_reason(data: bytes, reason: str) -> None:
    with pytest.raises(NotALogo, match=reason):
        check_logo(data)


def test_a_small_file_claiming_a_huge_picture_is_refused() -> None:
    bomb = io.BytesIO()
    Image.new("1", (5000, 5000)).save(bomb, format="PNG")  # a few kilobytes, 25 million pixels
    assert len(bomb.getvalue()) < MAX_LOGO_BYTES
    with pytest.raises(NotALogo, match="too large"):
        check_logo(bomb.getvalue())


# --- fetched once by the worker, through the guard -------------------------------------------------


@allow_private
@pytest.mark.django_db
def test_the_worker_stores_each_logo_once_and_refreshes_it_a_day_later(
    agency: Agency, server: LogoServer
) -> None:
    png = image_bytes()
    server.answers["/logo.png"] = (200, "image/png", png)
    agency.logo_url = server.url("/logo.png")
    agency.save()

    assert refresh_logos(T0).stored == [agency.logo_url]
    refresh_logos(T0 + timedelta(minutes=5))
    assert server.hits == ["/logo.png"]
    row = BrandLogo.objects.get(url=agency.logo_url)
    assert (bytes(row.data), row.media_type, row.failure) == (png, "image/png", "")

    refresh_logos(T0 + REFRESH_AFTER)
    assert server.hits == ["/logo.png", "/logo.png"]


@forbid_private
@pytest.mark.django_db
def test_a_logo_on_a_private_address_is_refused_without_a_request(agency: Agency, server: LogoServer) -> None:
    server.answers["/logo.png"] = (200, "image/png", image_bytes())
    agency.logo_url = server.url("/logo.png")
    agency.save()

    assert refresh_logos(T0).failed == [agency.logo_url]

    assert server.hits == []
    row = BrandLogo.objects.get(url=agency.logo_url)
    assert "refused to connect to 127.0.0.1: loopback address" in row.failure
    assert logo_data_uri(agency.logo_url) == ""


@allow_private
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ((404, "text/html", b"<html>gone</html>"), "the server answered HTTP 404"),
        ((200, "image/png", b"<html>a login page</html>"), "not a PNG, JPEG, GIF or WebP image"),
        ((200, "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"/>'), "SVG logos are not accepted"),
        ((200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_LOGO_BYTES + 1)), "larger than"),
    ],
)
def test_a_logo_that_cannot_be_loaded_stores_why_and_is_tried_again_later(
    agency: Agency, server: LogoServer, answer: tuple[int, str, bytes], reason: str
) -> None:
    server.answers["/logo"] = answer
    agency.logo_url = server.url("/logo")
    agency.save()

    refresh_logos(T0)
    refresh_logos(T0 + timedelta(minutes=10))
    assert len(server.hits) == 1
    assert reason in BrandLogo.objects.get(url=agency.logo_url).failure
    assert logo_data_uri(agency.logo_url) == ""

    server.answers["/logo"] = (200, "image/png", image_bytes())
    refresh_logos(T0 + RETRY_AFTER)
    assert logo_data_uri(agency.logo_url).startswith("data:image/png;base64,")


@allow_private
@pytest.mark.django_db
def test_addresses_no_longer_named_are_forgotten(agency: Agency, server: LogoServer) -> None:
    server.answers["/a.png"] = (200, "image/png", image_bytes())
    agency.logo_url = server.url("/a.png")
    agency.save()
    refresh_logos(T0)
    agency.logo_url = ""
    agency.save()
    refresh_logos(T0 + timedelta(minutes=1))
    assert not BrandLogo.objects.exists()


@allow_private
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata address (never allowed)"),
        ("http://169.254.170.2/v2/credentials", "cloud metadata address (never allowed)"),
        ("http://[fe80::1]/logo.png", "link-local address (never allowed)"),
    ],
)
def test_a_redirect_to_a_refused_address_is_not_followed(
    agency: Agency, server: LogoServer, location: str, reason: str
) -> None:
    server.answers["/logo.png"] = (302, "text/plain", location.encode())
    agency.logo_url = server.url("/logo.png")
    agency.save()

    refresh_logos(T0)

    failure = BrandLogo.objects.get(url=agency.logo_url).failure
    assert reason in failure, failure
    assert logo_data_uri(agency.logo_url) == ""


@allow_private
@pytest.mark.django_db
def test_the_admin_says_whether_the_logo_is_stored_or_why_not(
    agency: Agency, server: LogoServer, owner: StaffUser, client: WebClient
) -> None:
    client.force_login(owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    server.answers["/logo.svg"] = (200, "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    agency.logo_url = server.url("/logo.svg")
    agency.save()
    page = f"/admin/accounts/agency/{agency.pk}/change/"

    assert "Not fetched yet" in client.get(page).content.decode()
    refresh_logos(T0)
    shown = client.get(page).content.decode()
    assert "Could not be loaded: SVG logos are not accepted" in shown
    assert "Traceback" not in shown

    server.answers["/logo.png"] = (200, "image/png", image_bytes())
    agency.logo_url = server.url("/logo.png")
    agency.save()
    refresh_logos(T0)
    assert "Stored (PNG)" in client.get(page).content.decode()
