"""The public status page in a real browser (headless Chromium): keyboard and touch on the day
bars, the password form, a client's own domain reached by its Host header, and screenshots at
phone and desktop widths."""

from __future__ import annotations

import hashlib
import io
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import (
    Browser,
    BrowserContext,
    FloatRect,
    Locator,
    Page,
    ViewportSize,
)

from tests.browser import chromium
from tests.statuspages.conftest import PageWorld, make_client_with_page, open_incident
from veilleur.accounts.models import Agency
from veilleur.clients.models import BrandLogo, MaintenanceWindow
from veilleur.domain.contrast import AA_TEXT, contrast_ratio
from veilleur.domain.timezones import local_to_utc
from veilleur.incidents.updates import post_update
from veilleur.statuspages.models import StatusPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAKERY_DOMAIN = "status.bakery.test"
FLORIST_DOMAIN = "status.florist.test"
DESKTOP = ViewportSize(width=1280, height=900)
PHONE = ViewportSize(width=390, height=844)
PHONE_SCALE = 2
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Browser]:
    """One Chromium for the module. Two custom domains resolve to the loopback live server, so a
    navigation to them carries their name in its Host header, as behind a real DNS record."""
    rules = f"--host-resolver-rules=MAP {BAKERY_DOMAIN} 127.0.0.1,MAP {FLORIST_DOMAIN} 127.0.0.1"
    with chromium(chromium_path, rules) as browser:
        yield browser


@pytest.fixture
def desktop(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    yield context
    context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=PHONE_SCALE, is_mobile=True, has_touch=True, locale="en-GB"
    )
    yield context
    context.close()


def base_url(live_server: Any) -> str:
    return str(live_server.url)


def port_of(live_server: Any) -> int:
    port = urlsplit(base_url(live_server)).port
    assert port is not None
    return port


# --- data ---------------------------------------------------------------------------------------


def local_day(page: StatusPage, days_ago: int) -> date:
    zone = ZoneInfo(page.client.time_zone)
    return timezone.now().astimezone(zone).date() - timedelta(days=days_ago)


def at_local(page: StatusPage, day: date, clock: time) -> datetime:
    return local_to_utc(datetime.combine(day, clock), ZoneInfo(page.client.time_zone))


def day_length(page: StatusPage, day: date) -> timedelta:
    """23, 24 or 25 hours: the client's local day, across a change of clocks too."""
    return at_local(page, day + timedelta(days=1), time(0)) - at_local(page, day, time(0))


def shown_percent(downtime: timedelta, monitored: timedelta) -> str:
    """The uptime of a fully monitored day as the page prints it in English: rounded down to a
    thousandth of a percent, no trailing zeros."""
    value = Decimal(100) * (1 - Decimal(downtime.total_seconds()) / Decimal(monitored.total_seconds()))
    value = value.quantize(Decimal("0.001"), rounding=ROUND_DOWN).normalize()
    return f"{value:f}%"


def english_date(day: date) -> str:
    """ "3 June 2026": the day as an English page writes it (month names of the C locale)."""
    return f"{day.day} {day:%B} {day.year}"


@dataclass
class Outage:
    day: date
    uptime_text: str  # the day's uptime as the tooltip should say it


def outage_yesterday(world: PageWorld, minutes: int = 36) -> Outage:
    """A resolved outage of the shop yesterday morning, local time."""
    day = local_day(world.page, 1)
    start = at_local(world.page, day, time(10, 0))
    incident = open_incident(world.shop_monitor, start, recovered=start + timedelta(minutes=minutes))
    post_update(incident, "resolved", "The shop is back after a restart.", at=start + timedelta(minutes=40))
    return Outage(day, shown_percent(timedelta(minutes=minutes), day_length(world.page, day)))


# --- page helpers ---------------------------------------------------------------------------------


def focused(page: Page) -> str:
    """What the keyboard focus is on: a link's text, or the element's id."""
    text: str = page.evaluate(
        "() => document.activeElement.tagName === 'A' ? document.activeElement.textContent.trim()"
        " : '#' + document.activeElement.id"
    )
    return text


def day_colour(strip: Locator, day: int, days_shown: int) -> tuple[int, int, int]:
    """The colour the strip paints ``day`` (0: the first day shown) with, read from its pixels in
    the middle of that day's slot."""
    box = strip.bounding_box()
    assert box is not None
    png = strip.screenshot()
    image = Image.open(io.BytesIO(png)).convert("RGB")
    scale = image.width / box["width"]
    x = int((day + 0.4) * box["width"] / days_shown * scale)
    red, green, blue = image.getpixel((x, image.height // 2))  # type: ignore[misc]
    return red, green, blue


OK_GREEN = (0x16, 0xA3, 0x4A)  # status.css --ok


def assert_inside_viewport(page: Page, element: Locator) -> None:
    """Nothing of ``element`` is cut off by the window's edges."""
    box = element.bounding_box()
    assert box is not None
    viewport = page.viewport_size
    assert viewport is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box


def assert_clear_of_screen_edges(page: Page, selector: str, margin: int) -> None:
    """Every text block matching ``selector`` keeps ``margin`` pixels from both sides of the screen."""
    width = page.evaluate("() => window.innerWidth")
    boxes = page.locator(selector).evaluate_all(
        """elements => elements.filter(e => e.offsetParent !== null).map(e => {
            const box = e.getBoundingClientRect();
            return {text: e.textContent.trim().slice(0, 40), left: box.left, right: box.right};
        })"""
    )
    assert boxes
    crowded = [box for box in boxes if box["left"] < margin or box["right"] > width - margin]
    assert not crowded, crowded


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth"))


def screenshot_dir(tmp_path: Path) -> Path:
    chosen = os.environ.get("VEILLEUR_SCREENSHOT_DIR")
    directory = Path(chosen) if chosen else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def around(*elements: Locator) -> FloatRect:
    """The smallest rectangle of the window holding all ``elements``, with a little air."""
    boxes = [box for box in (element.bounding_box() for element in elements) if box is not None]
    assert len(boxes) == len(elements)
    left = max(min(box["x"] for box in boxes) - 8, 0)
    top = max(min(box["y"] for box in boxes) - 8, 0)
    right = max(box["x"] + box["width"] for box in boxes) + 8
    bottom = max(box["y"] + box["height"] for box in boxes) + 8
    return FloatRect(x=left, y=top, width=right - left, height=bottom - top)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    assert data[12:16] == b"IHDR", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# --- 1. a public page, keyboard and touch ----------------------------------------------------------


def test_desktop_strips_and_the_day_by_day_page_by_keyboard(
    desktop: BrowserContext, live_server: Any, world: PageWorld
) -> None:
    outage = outage_yesterday(world)
    page = desktop.new_page()
    response = page.goto(f"{base_url(live_server)}/s/bakery/")
    assert response is not None and response.status == 200
    # The shop is up again: the page as a whole is fine, and says so in its banner.
    assert page.locator(".overall h1").inner_text() == "All systems operational"
    names = page.locator(".component-head :is(h2, h3)").all_inner_texts()
    assert names == ["Web shop (public)", "Bakery blog (public)"]
    strips = page.locator("a.strip")
    assert strips.count() == 2
    # Yesterday is painted as a bad day, today and the day before as good ones.
    assert day_colour(strips.nth(0), 88, 90) != OK_GREEN
    assert day_colour(strips.nth(0), 89, 90) == OK_GREEN and day_colour(strips.nth(0), 87, 90) == OK_GREEN
    assert day_colour(strips.nth(1), 88, 90) == OK_GREEN

    # Tab from the top of the page: the strips are no tab stops; each "Day by day" link is one,
    # and says the strip in words.
    stops = []
    for _ in range(20):
        page.keyboard.press("Tab")
        stops.append(focused(page))
        if stops[-1] == "#subscribe-email":
            break
    assert [stop for stop in stops if stop.startswith("Day by day")] == [
        "Day by day — Web shop (public), last 90 days: 89 days at 100%, 1 day with downtime",
        "Day by day — Bakery blog (public), last 90 days: 90 days at 100%",
    ], stops
    link = page.get_by_role("link", name="Day by day — Web shop (public)")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/components/*/")
    assert page.locator("h1").inner_text() == "Web shop (public)"
    row = page.locator(f"#day-{outage.day.isoformat()}")
    text = row.inner_text()
    assert english_date(outage.day) in text and outage.uptime_text in text
    assert "Down 36\xa0min" in text and "Outage 10:00–10:36" in text
    assert page.locator(".past-incident").count() == 1
    assert "The shop is back after a restart." in page.locator(".past-incident").inner_text()
    assert no_horizontal_scroll(page)
    # The pointer's way: a click on the blog's strip opens the blog's days.
    page.go_back()
    page.locator("a.strip").nth(1).click()
    page.wait_for_url("**/components/*/")
    assert page.locator("h1").inner_text() == "Bakery blog (public)"


def test_phone_shows_the_last_thirty_days_of_each_strip(
    phone: BrowserContext, live_server: Any, world: PageWorld
) -> None:
    outage_yesterday(world)
    page = phone.new_page()
    response = page.goto(f"{base_url(live_server)}/s/bakery/")
    assert response is not None and response.status == 200
    assert page.locator(".overall h1").is_visible()
    strips = page.locator("a.strip")
    assert strips.count() == 2
    strip_box, svg_box = strips.nth(0).bounding_box(), strips.nth(0).locator("svg").bounding_box()
    assert strip_box is not None and svg_box is not None
    # The drawing is three times the strip's width, its last third (the last 30 days) in view.
    assert abs(svg_box["width"] - 3 * strip_box["width"]) < 2
    assert abs(svg_box["x"] + svg_box["width"] - (strip_box["x"] + strip_box["width"])) < 2
    assert day_colour(strips.nth(0), 28, 30) != OK_GREEN  # yesterday
    assert day_colour(strips.nth(0), 29, 30) == OK_GREEN
    assert page.locator(".legend-30").first.is_visible() and not page.locator(".legend-90").first.is_visible()
    assert no_horizontal_scroll(page)
    assert_clear_of_screen_edges(page, ".brand-title, .nav a, main h1, main h2, main h3, main p, .strip", 8)
    page.locator("a.strip").first.tap()
    page.wait_for_url("**/components/*/")
    assert page.locator("tbody tr").count() == 90
    assert no_horizontal_scroll(page)


# --- 2. a password-protected page -----------------------------------------------------------------


def fetch_json(page: Page, url: str) -> dict[str, Any]:
    """``url`` fetched by the page's own script: with the browser's cookies for that path."""
    result: dict[str, Any] = page.evaluate(
        """async (url) => {
            const response = await fetch(url, {credentials: 'same-origin'});
            return {status: response.status, body: await response.json()};
        }""",
        url,
    )
    return result


def test_password_page(phone: BrowserContext, live_server: Any, world: PageWorld, tmp_path: Path) -> None:
    world.page.visibility = StatusPage.Visibility.PASSWORD
    world.page.set_password("pain-au-levain-2026")
    world.page.save()
    root = f"{base_url(live_server)}/s/bakery/"
    page = phone.new_page()

    response = page.goto(root)
    assert response is not None and response.status == 401
    assert page.locator("#unlock-password").is_visible()
    assert page.locator(".component").count() == 0 and "Web shop" not in page.content()
    before = fetch_json(page, f"{root}api/status.json")
    assert before["status"] == 401 and "components" not in before["body"]

    page.fill("#unlock-password", "pain-de-mie-2026")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("button[type=submit]")
    assert answer.value.status == 403
    assert page.locator("#unlock-error").is_visible()
    assert "not the right one" in page.locator("#unlock-error").inner_text()
    assert page.locator(".component").count() == 0 and "Web shop" not in page.content()
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(screenshot_dir(tmp_path) / "status-unlock-error-phone.png"), full_page=True)

    page.fill("#unlock-password", "pain-au-levain-2026")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("button[type=submit]")
    assert answer.value.status == 303
    page.wait_for_url(root)
    assert page.locator(".component-head :is(h2, h3)").all_inner_texts() == [
        "Web shop (public)",
        "Bakery blog (public)",
    ]
    assert page.locator("#unlock-password").count() == 0

    after = fetch_json(page, f"{root}api/status.json")
    assert after["status"] == 200
    assert [c["name"] for c in after["body"]["components"]] == ["Web shop (public)", "Bakery blog (public)"]


# --- 3. the client's own domain ---------------------------------------------------------------------


def test_custom_domain_by_host_header(desktop: BrowserContext, live_server: Any, world: PageWorld) -> None:
    StatusPage.objects.filter(pk=world.page.pk).update(
        custom_domain=BAKERY_DOMAIN, domain_verified_at=timezone.now()
    )
    StatusPage.objects.filter(pk=world.other_page.pk).update(custom_domain=FLORIST_DOMAIN)
    origin = f"http://{BAKERY_DOMAIN}:{port_of(live_server)}"
    page = desktop.new_page()

    response = page.goto(f"{origin}/")
    assert response is not None and response.status == 200
    assert page.locator(".component-head :is(h2, h3)").all_inner_texts() == [
        "Web shop (public)",
        "Bakery blog (public)",
    ]
    # The stylesheet came through the same domain: the strip's days are painted in its colours.
    fill = page.locator(".strip path").first.evaluate("path => getComputedStyle(path).fill")
    assert fill == "rgb(22, 163, 74)"
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(link => link.getAttribute('href'))")
    assert "/history/" in hrefs and "/" in hrefs
    assert not [href for href in hrefs if "/s/" in href], hrefs

    page.get_by_role("navigation").get_by_role("link", name="Incident history").click()
    page.wait_for_url(f"{origin}/history/")
    assert page.locator("h1").inner_text() == "Incident history"
    assert page.locator("nav a").get_attribute("href") == "/"

    # A domain the florist entered but never verified shows nothing of anyone.
    unverified = page.goto(f"http://{FLORIST_DOMAIN}:{port_of(live_server)}/")
    assert unverified is not None and unverified.status == 400
    assert "Flower" not in page.content() and "Florist" not in page.content()


# --- 4. screenshots of a realistic page -------------------------------------------------------------


@pytest.fixture
def bakery_page(agency: Agency) -> StatusPage:
    """A bakery's page as a visitor meets it on a bad afternoon: four sites in two groups, the
    payment service down with two public updates, past outages, maintenance in two days."""
    page, sites, monitors = make_client_with_page(
        agency,
        "maison-fournier",
        "Maison Fournier",
        [
            ("shop", "Online shop"),
            ("payments", "Payments"),
            ("blog", "Recipes blog"),
            ("newsletter", "Newsletter sign-up"),
        ],
    )
    for component, group in zip(
        page.components.order_by("position"), ["Ordering"] * 2 + ["Content"] * 2, strict=True
    ):
        component.public_name = component.site.name
        component.group = group
        component.save()
    shop, payments, blog, _newsletter = monitors
    now = timezone.now()

    started = now - timedelta(minutes=48)
    ongoing = open_incident(payments, started)
    post_update(
        ongoing,
        "investigating",
        "Card payments fail at checkout. Orders are kept; you can pay on collection meanwhile.",
        at=started + timedelta(minutes=6),
    )
    post_update(
        ongoing,
        "identified",
        "Our payment provider has an outage in Europe; we are in touch with them.",
        at=started + timedelta(minutes=27),
    )

    past_start = at_local(page, local_day(page, 12), time(14, 5))
    past = open_incident(shop, past_start, recovered=past_start + timedelta(hours=2, minutes=10))
    post_update(past, "investigating", "The shop does not load.", at=past_start + timedelta(minutes=9))
    post_update(
        past,
        "resolved",
        "A full disk on the shop's server; space was freed and an alert added.",
        at=past_start + timedelta(hours=2, minutes=14),
    )
    for monitor, days_ago, clock, minutes in ((blog, 37, time(3, 40), 25), (shop, 64, time(19, 15), 7)):
        start = at_local(page, local_day(page, days_ago), clock)
        open_incident(monitor, start, recovered=start + timedelta(minutes=minutes))

    upcoming = timezone.localtime(now + timedelta(days=2), ZoneInfo(page.client.time_zone))
    window = MaintenanceWindow.objects.create(
        client=page.client,
        key="php-upgrade",
        title="PHP upgrade on the blog server",
        start_date=upcoming.date(),
        start_time=time(6, 0),
        duration_minutes=90,
    )
    window.sites.set([sites[2], sites[3]])
    page.primary_color = "#7c2d12"
    page.footer_text = "Maison Fournier, artisan bakers since 1962"
    page.save()
    return page


def test_screenshots_of_a_realistic_page(
    desktop: BrowserContext, phone: BrowserContext, live_server: Any, bakery_page: StatusPage, tmp_path: Path
) -> None:
    directory = screenshot_dir(tmp_path)
    url = f"{base_url(live_server)}/s/maison-fournier/"
    shots: dict[str, tuple[Path, int, int]] = {}
    for name, context, viewport, scale in (
        ("desktop", desktop, DESKTOP, 1),
        ("phone", phone, PHONE, PHONE_SCALE),
    ):
        page = context.new_page()
        response = page.goto(url)
        assert response is not None and response.status == 200
        assert page.locator(".overall h1").inner_text() == "Partial outage"
        assert page.locator(".components .group").all_text_contents() == ["Ordering", "Content"]
        assert page.locator(".notice.incident .updates li").count() == 2
        assert page.locator(".notice.maintenance").inner_text().startswith("Scheduled maintenance")
        assert page.locator(".past-incident").count() == 3
        assert no_horizontal_scroll(page)
        path = directory / f"status-page-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots[name] = (path, viewport["width"] * scale, viewport["height"] * scale)

        # The shop's days, one by one, as a visitor who clicks its strip sees them.
        card = page.locator(".components").first
        card.locator("a.strip").first.click()
        page.wait_for_url(f"{url}components/*/")
        bad_day = page.locator("tbody tr", has=page.locator(".swatch.band-bad")).first
        assert "Down 2\xa0h\xa010\xa0min" in bad_day.inner_text()
        assert no_horizontal_scroll(page)
        days_path = directory / f"status-component-{name}.png"
        page.screenshot(path=str(days_path), full_page=True)
        shots[f"{name}-component"] = (days_path, viewport["width"] * scale, viewport["height"] * scale)
        page.go_back()

        page.get_by_role("link", name="Full incident history").click()
        page.wait_for_url(f"{url}history/")
        assert page.locator(".history-day").count() == 4  # today's outage and three past days
        assert no_horizontal_scroll(page)
        history_path = directory / f"status-history-{name}.png"
        page.screenshot(path=str(history_path), full_page=True)
        shots[f"{name}-history"] = (history_path, viewport["width"] * scale, viewport["height"] * scale)
        page.close()

    for name, (path, width, height) in shots.items():
        shot_width, shot_height = png_size(path)
        assert path.stat().st_size > 5_000, name
        # Full page: as wide as the screen, and at least as long.
        assert shot_width == width and shot_height >= height, (name, shot_width, shot_height)


# --- 5. a pale brand colour and a stored logo ---------------------------------------------------------


def _rgb_to_hex(css: str) -> str:
    red, green, blue = (int(part) for part in css.removeprefix("rgb(").removesuffix(")").split(",")[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


def test_a_pale_brand_reads_in_a_browser_and_the_stored_logo_shows(
    desktop: BrowserContext, live_server: Any, world: PageWorld, tmp_path: Path
) -> None:
    client = world.page.client
    client.primary_color = "#facc15"
    client.logo_url = "https://logo.example/logo.png"  # never fetched: the stored copy is served
    client.save()
    image = io.BytesIO()
    Image.new("RGB", (96, 32), "#7c2d12").save(image, format="PNG")
    BrandLogo.objects.create(
        url=client.logo_url,
        media_type="image/png",
        data=image.getvalue(),
        digest=hashlib.sha256(image.getvalue()).hexdigest(),
        tried_at=timezone.now(),
    )
    page = desktop.new_page()

    page.goto(f"{base_url(live_server)}/s/bakery/")

    title = _rgb_to_hex(page.locator(".brand-title").evaluate("e => getComputedStyle(e).color"))
    masthead = _rgb_to_hex(page.locator(".masthead").evaluate("e => getComputedStyle(e).backgroundColor"))
    links = page.locator(".footer a").evaluate_all("links => links.map(e => getComputedStyle(e).color)")
    assert masthead == "#facc15"
    assert contrast_ratio(title, masthead) >= AA_TEXT
    assert links and all(contrast_ratio(_rgb_to_hex(link), "#f6f7f9") >= AA_TEXT for link in links)
    logo = page.locator("img.logo")
    assert logo.evaluate("e => e.complete && e.naturalWidth") == 96
    page.screenshot(path=str(screenshot_dir(tmp_path) / "status-pale-brand-desktop.png"))
