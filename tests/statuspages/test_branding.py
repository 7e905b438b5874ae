"""A status page shows its logo from the copy the worker stored, served from its own address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.test import Client as WebClient
from django.test import override_settings

from tests.clients.logo_server import LogoServer, image_bytes, serving
from tests.statuspages.conftest import make_client_with_page
from veilleur.accounts.models import Agency
from veilleur.clients.logos import refresh_logos
from veilleur.domain.contrast import AA_TEXT, contrast_ratio

allow_private = override_settings(VEILLEUR_ALLOW_PRIVATE_TARGETS=True)


@pytest.fixture
def server() -> Iterator[LogoServer]:
    yield from serving()


@allow_private
@pytest.mark.django_db
def test_a_status_page_serves_its_stored_logo_from_its_own_address(
    agency: Agency, server: LogoServer
) -> None:
    png = image_bytes()
    server.answers["/client.png"] = (200, "image/png", png)
    page, _sites, _monitors = make_client_with_page(agency, "bakery", "Bakery", [("shop", "Web shop")])
    page.client.logo_url = server.url("/client.png")
    page.client.save()
    web = WebClient()

    before = web.get("/s/bakery/").content.decode()
    assert "<img" not in before.split("</header>")[0]  # nothing stored yet: the title alone
    assert web.get("/s/bakery/logo").status_code == 404

    refresh_logos(datetime.now(UTC))
    html = web.get("/s/bakery/").content.decode()
    found = re.search(r'<img class="logo" src="(/s/bakery/logo\?v=[0-9a-f]+)"', html)
    assert found is not None, html[:2000]
    answer = web.get(found.group(1))
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert answer.content == png
    assert answer["Content-Security-Policy"] == "default-src 'none'"
    assert server.url("/client.png") not in html
    assert server.hits == ["/client.png"]


@pytest.mark.django_db
def test_a_pale_client_colour_keeps_its_look_and_its_text_reaches_wcag_aa(agency: Agency) -> None:
    page, _sites, _monitors = make_client_with_page(agency, "bakery", "Bakery", [("shop", "Web shop")])
    page.client.primary_color = "#facc15"  # 1.5:1 on white
    page.client.save()

    html = WebClient().get("/s/bakery/").content.decode()

    variables = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6})", html.split("</style>")[0]))
    assert variables["brand"] == "#facc15"  # the masthead keeps the client's colour
    for background in ("#ffffff", "#f6f7f9"):
        assert contrast_ratio(variables["brand-text"], background) >= AA_TEXT
    assert contrast_ratio(variables["on-brand"], "#facc15") >= AA_TEXT
