"""The report never fetches a URL while rendering; its cover shows the stored logo, or the
agency's name alone when none could be loaded."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import override_settings

from tests.clients.logo_server import LogoServer, image_bytes, serving
from tests.reports.conftest import NOW
from veilleur.clients.logos import refresh_logos
from veilleur.clients.models import Client
from veilleur.reports.data import monthly_report
from veilleur.reports.render import pdf_from_html, render_html

allow_private = override_settings(VEILLEUR_ALLOW_PRIVATE_TARGETS=True)


@pytest.fixture
def server() -> Iterator[LogoServer]:
    yield from serving()


@pytest.mark.django_db
def test_the_pdf_renderer_fetches_nothing(server: LogoServer) -> None:
    server.answers["/x.png"] = (200, "image/png", image_bytes())
    html = (
        f'<html><head><link rel="stylesheet" href="{server.url("/style.css")}"></head>'
        f'<body><img src="{server.url("/x.png")}"><p style="background: url({server.url("/bg.png")})">x</p>'
        "</body></html>"
    )
    pdf = pdf_from_html(html)
    assert pdf.startswith(b"%PDF")
    assert server.hits == []


def _cover(html: str) -> str:
    found = re.search(r'<div class="cover">(.*?)<div class="foot">', html, re.S)
    assert found is not None
    return found.group(1)


@allow_private
@pytest.mark.django_db
def test_the_cover_shows_the_stored_logo_and_the_name_once(
    client_with_history: Client, server: LogoServer
) -> None:
    server.answers["/logo.png"] = (200, "image/png", image_bytes())
    agency = client_with_history.agency
    agency.logo_url = server.url("/logo.png")
    agency.save()
    refresh_logos(NOW)

    html = render_html(monthly_report(client_with_history, 2026, 10, NOW), "en")

    cover = _cover(html)
    assert '<img src="data:image/png;base64,' in cover
    assert server.url("/logo.png") not in html
    assert cover.count(agency.name) == 1
    pdf_from_html(html)
    assert server.hits == ["/logo.png"]  # the worker's fetch, and nothing while rendering


@allow_private
@pytest.mark.django_db
def test_a_logo_that_cannot_be_loaded_leaves_the_name_alone_on_the_cover(
    client_with_history: Client, server: LogoServer
) -> None:
    server.answers["/logo.png"] = (200, "text/html", b"<html>oops</html>")
    agency = client_with_history.agency
    agency.logo_url = server.url("/logo.png")
    agency.save()
    refresh_logos(NOW)

    html = render_html(monthly_report(client_with_history, 2026, 10, NOW), "en")

    cover = _cover(html)
    assert "<img" not in cover
    assert cover.count(agency.name) == 1
