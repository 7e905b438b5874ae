"""The overview tells the agency when one of its checkers is cut off from the Internet."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from playwright.sync_api import Browser

from tests.browser import chromium
from tests.dashboard.conftest import add_site
from tests.gate.validators import axe_findings, missing_tools, vnu_findings
from tests.statuspages.test_browser import screenshot_dir
from veilleur.accounts.models import StaffUser
from veilleur.monitoring.models import CheckerOutage

PASSWORD = "correct horse battery"


def _cut_off(
    owner: str = "checker-2:4242", region: str = "eu-west", ago: timedelta = timedelta(minutes=7)
) -> None:
    CheckerOutage.objects.create(
        owner=owner, region=region, started_at=timezone.now() - ago, reason="canaries"
    )


@pytest.mark.django_db
def test_the_banner_shows_while_a_checker_is_cut_off_and_only_then(
    signed_in: HttpClient, owner: StaffUser
) -> None:
    add_site(owner.agency, "alpha")
    CheckerOutage.objects.create(
        owner="checker-9:1",
        started_at=timezone.now() - timedelta(days=1),
        ended_at=timezone.now() - timedelta(hours=20),
        reason="dns",
    )
    page = signed_in.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "checker-cut-off" not in page and "checker-9" not in page
    _cut_off()
    for url in ("/", "/overview/rows"):  # the refreshed rows carry it too
        html = signed_in.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "A checker cannot reach the Internet: its verdicts are withheld." in html
        assert "checker-2:4242, since" in html and "(eu-west)" in html
    french = signed_in.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Un vérificateur ne peut plus joindre Internet" in french
    _cut_off(owner="checker-3:7", region="")
    html = signed_in.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 checkers cannot reach the Internet: their verdicts are withheld." in html


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Browser]:
    with chromium(chromium_path) as browser:
        yield browser


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_banner_reads_well_on_desktop_and_phone_in_both_languages(
    browser: Browser, live_server: Any, owner: StaffUser, tmp_path: Path
) -> None:
    if missing_tools():
        pytest.skip(f"page validators not installed: {', '.join(missing_tools())}")
    owner.set_password(PASSWORD)
    owner.save()
    add_site(owner.agency, "alpha")
    add_site(owner.agency, "bravo", down_since=timedelta(minutes=12))
    _cut_off()
    base = str(live_server.url)
    shots = screenshot_dir(tmp_path)  # VEILLEUR_SCREENSHOT_DIR keeps them to look at
    findings = []
    documents = {}
    for language, locale in (("en", "en-GB"), ("fr", "fr-FR")):
        for width in (1280, 390):
            context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
            page = context.new_page()
            page.goto(f"{base}/login/")
            page.fill("#id_username", owner.email)
            page.fill("#id_password", PASSWORD)
            page.locator("main button[type=submit]").click()
            page.wait_for_url(f"{base}/")
            banner = page.locator(".checker-cut-off")
            assert banner.is_visible()
            where = f"overview with a checker cut off, {language}, {width} px"
            findings += axe_findings(page, where)
            # The banner fits the window (the overview's table is wider than a phone by design:
            # it scrolls in its own box).
            box = banner.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (where, box)
            page.screenshot(
                path=str(shots / f"overview-checker-cut-off-{language}-{width}.png"), full_page=True
            )
            document = tmp_path / f"overview-{language}-{width}.html"
            document.write_text(page.content())
            documents[document] = where
            context.close()
    findings += vnu_findings(documents)
    assert findings == [], "\n".join(map(str, findings))
