"""The gate: every page a person reads passes axe-core, the Nu Html Checker and a phone's width.

Over the demo's data (``veilleur demo``), in French and in English, at 1280 px and at 390 px on
a touch phone, it opens the entry points — sign-in, the setup and acknowledgement links, the
status pages, subscription links, the unlock form, error pages, each client's monthly report —
signs in, and follows every same-site link from there (``crawl.py``). It fails on any serious or
critical axe violation, any error of the Nu Html Checker, and any page wider than a phone.

Run it alone with ``pytest tests/gate``; check one page of a running install with
``scripts/validate-page URL`` (docs/validators.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, Response

from tests.browser import chromium
from tests.gate.crawl import Crawl, Visit, fill_and_send, links_of, open_url, submit_form
from tests.gate.validators import (
    PHONE_WIDTH,
    Finding,
    axe_findings,
    missing_tools,
    vnu_findings,
    width_findings,
)
from veilleur.accounts.models import StaffUser
from veilleur.clients.models import Client
from veilleur.demo.command import run_demo
from veilleur.incidents.models import Incident
from veilleur.incidents.sla import sla_fields
from veilleur.incidents.updates import post_update
from veilleur.monitoring.models import Monitor
from veilleur.notifications.enqueue import enqueue_incident_notices
from veilleur.notifications.models import OutboxMessage
from veilleur.notifications.tokens import make_ack_token
from veilleur.reports.data import monthly_report
from veilleur.reports.editorial import EditorialText
from veilleur.reports.models import Report
from veilleur.reports.render import render_html
from veilleur.reports.sending import generate_report, publish_report, save_editorial
from veilleur.statuspages.models import StatusPage, Subscription

pytestmark = [pytest.mark.browser, pytest.mark.gate, pytest.mark.django_db(transaction=True)]

LANGUAGES = {"fr": "fr-FR", "en": "en-GB"}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": PHONE_WIDTH, "height": 844}
PASSWORD = "lanterne-magique-42"
DEMO_DAYS = 90


@dataclass
class World:
    """The demo's install as the gate reaches it: where a visitor starts, before and after signing in."""

    origin: str
    owner_email: str
    public: list[Visit]
    staff: list[Visit]
    reports: dict[str, list[Path]] = field(default_factory=dict)  # language → report files


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Browser]:
    with chromium(chromium_path) as browser:
        yield browser


def test_every_page_a_person_reads_passes_the_validators(
    browser: Browser, live_server: Any, tmp_path: Path
) -> None:
    missing = missing_tools()
    if missing:
        message = "the validators are not installed: " + "; ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    world = demo_world(str(live_server.url), tmp_path)
    findings: list[Finding] = []
    documents: dict[Path, str] = {}
    for language, locale in LANGUAGES.items():
        show_status_pages_in(language)
        show_portal_in(language)
        desktop = browser.new_context(viewport=DESKTOP, locale=locale)  # type: ignore[arg-type]
        phone = browser.new_context(
            viewport=PHONE,  # type: ignore[arg-type]
            locale=locale,
            is_mobile=True,
            has_touch=True,
        )
        try:
            reached = crawl_and_check(world, desktop, language, findings, documents, tmp_path)
            recheck_on_phone(world, phone, language, reached, findings)
            for report in world.reports[language]:
                for context, width in ((desktop, "1280"), (phone, "390")):
                    page = context.new_page()
                    page.goto(report.as_uri())
                    where = f"{report.name} [{language}, {width} px]"
                    findings += language_findings(page, language, where)
                    findings += axe_findings(page, where)
                    if context is phone:
                        findings += width_findings(page, where)
                    page.close()
                documents[report] = f"{report.name} [{language}]"
        finally:
            desktop.close()
            phone.close()
    findings += vnu_findings(documents)
    pages = sorted({where.split(" [")[0] for where in documents.values()})
    print(f"{len(pages)} pages checked:", *pages, sep="\n  ")  # shown with -s, and on failure
    assert len(pages) >= 20, f"the crawl reached too few pages to mean anything: {pages}"
    assert not findings, f"{len(findings)} problems on {len(pages)} pages:\n" + "\n".join(map(str, findings))


# --- the crawl -----------------------------------------------------------------------------------


def crawl_and_check(
    world: World,
    context: BrowserContext,
    language: str,
    findings: list[Finding],
    documents: dict[Path, str],
    tmp_path: Path,
) -> list[tuple[bool, Visit]]:
    """Visit everything reachable at desktop width, signed out then signed in; axe on each page,
    its HTML kept for the Nu checker. The visits made, each with whether it was signed in."""
    reached: list[tuple[bool, Visit]] = []
    page = context.new_page()
    for signed_in, entries in ((False, world.public), (True, world.staff)):
        if signed_in:
            sign_in(page, world)
        crawl = Crawl(world.origin)
        crawl.add(entries)
        while (visit := crawl.next()) is not None:
            response = visit.go(page)
            where = f"{visit.label} [{language}, 1280 px]"
            if not is_html(response, where, findings):
                continue
            assert response is not None
            reached.append((signed_in, visit))
            findings.extend(language_findings(page, language, where))
            findings.extend(axe_findings(page, where))
            source = tmp_path / f"{language}-{len(documents):03d}.html"
            source.write_bytes(response.body())
            documents[source] = f"{visit.label} [{language}]"
            crawl.follow(links_of(page, world.origin))
    page.close()
    return reached


def recheck_on_phone(
    world: World,
    context: BrowserContext,
    language: str,
    reached: list[tuple[bool, Visit]],
    findings: list[Finding],
) -> None:
    page = context.new_page()
    signed = False
    for signed_in, visit in reached:
        if signed_in and not signed:
            sign_in(page, world)
            signed = True
        response = visit.go(page)
        where = f"{visit.label} [{language}, 390 px]"
        if is_html(response, where, findings):
            findings.extend(axe_findings(page, where))
            findings.extend(width_findings(page, where))
    page.close()


def language_findings(page: Page, language: str, where: str) -> list[Finding]:
    """The page is in the language of the pass: each page really is checked in both."""
    shown = str(page.evaluate("document.documentElement.lang"))
    if shown.split("-")[0] == language:
        return []
    return [Finding(where, "language", f"<html lang={shown!r}>, expected {language!r}")]


def is_html(response: Response | None, where: str, findings: list[Finding]) -> bool:
    if response is None:
        return False
    if response.status >= 500:
        findings.append(Finding(where, "http", f"answered {response.status}"))
        return False
    return response.headers.get("content-type", "").startswith("text/html")


def sign_in(page: Page, world: World) -> None:
    page.goto(f"{world.origin}/login/")
    page.fill("#id_username", world.owner_email)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url == f"{world.origin}/", f"signing in failed: {page.url}"


# --- the demo's install, and where a visitor starts ------------------------------------------------


def demo_world(origin: str, tmp_path: Path) -> World:
    now = timezone.now()
    run_demo(days=DEMO_DAYS, now=now, out=lambda line: None)
    reports_to_review(now)
    ongoing = ongoing_incidents(now)
    owner = StaffUser.objects.get(role=StaffUser.Role.OWNER)
    owner.set_password(PASSWORD)
    owner.save()
    setup_link = unused_setup_link(origin)
    pages = list(StatusPage.objects.order_by("slug"))
    assert pages, "the demo made no status page"
    public = [
        open_url(f"{origin}/login/"),
        submit_form(
            f"{origin}/login/",
            {"#id_username": owner.email, "#id_password": "not the password"},
            "sign-in refused",
        ),
        expired_form(f"{origin}/login/", {"#id_username": owner.email, "#id_password": PASSWORD}),
        open_url(setup_link),
        open_url(f"{origin}/setup/no-such-link/"),
        *ack_links(origin),
        open_url(f"{origin}/ack/no-such-link/"),
        open_url(f"{origin}/no-such-page/"),
        open_url(f"{origin}/s/no-such-page/"),
    ]
    for page in pages:
        root = f"{origin}/s/{page.slug}/"
        public += [
            open_url(root),
            # A component's day-by-day page: the first one, and the one whose site is down now.
            *[open_url(f"{root}components/{pk}/") for pk in day_by_day_pages(page)],
            open_url(f"{root}no-such-page/"),
            submit_form(root, {"#subscribe-email": "lecteur@example.com"}, "subscription asked"),
            submit_form(root, {"#subscribe-email": "lecteur@exemple"}, "subscription refused"),
            *subscription_links(page, root),
        ]
    public += protected_page_visits(pages[0], f"{origin}/s/{pages[0].slug}/")
    public += portal_visits(origin)  # last: its sign-in holds while the portal's links are followed
    staff = [
        open_url(f"{origin}/"),
        submit_form(f"{origin}/incidents/{ongoing[0].pk}/", {"#id_message": ""}, "public update refused"),
    ]
    world = World(origin=origin, owner_email=owner.email, public=public, staff=staff)
    world.reports = monthly_reports(now, tmp_path)
    return world


def day_by_day_pages(page: StatusPage) -> list[int]:
    """The ids of the page's first component and of those with an incident still open."""
    components = list(page.components.order_by("position", "id"))
    down = set(
        Incident.objects.filter(
            monitor__site__in=[c.site_id for c in components], recovered_at__isnull=True
        ).values_list("monitor__site_id", flat=True)
    )
    return (
        list(dict.fromkeys([components[0].pk, *(c.pk for c in components if c.site_id in down)]))[:3]
        if components
        else []
    )


def ongoing_incidents(now: datetime) -> list[Incident]:
    """The demo's incidents have all ended; a page also has to read well while one is going on.
    On each client with a status page, its first monitor has been down for ten minutes, with a
    public update; on the first of them, a second monitor is slow. Nobody has acknowledged yet."""
    ongoing = []
    for number, page in enumerate(StatusPage.objects.order_by("slug")):
        monitors = list(Monitor.objects.filter(site__client=page.client_id).order_by("site__key", "key"))
        down = open_incident(monitors[0], Incident.Kind.DOWN, now)
        post_update(down, "investigating", "Le site ne répond plus : nous cherchons pourquoi.")
        ongoing.append(down)
        if number == 0 and len(monitors) > 1:
            ongoing.append(open_incident(monitors[1], Incident.Kind.DEGRADED, now))
    return ongoing


def open_incident(monitor: Monitor, kind: str, now: datetime) -> Incident:
    started = now - timedelta(minutes=10)
    confirmed = started + timedelta(seconds=6)
    return Incident.objects.create(
        monitor=monitor,
        kind=kind,
        first_failed_at=started,
        confirmed_at=confirmed,
        cause_error_class="http_status" if kind == Incident.Kind.DOWN else "slow",
        cause_status_code=503 if kind == Incident.Kind.DOWN else None,
        cause_message="HTTP 503" if kind == Incident.Kind.DOWN else "",
        **sla_fields(monitor, confirmed),
    )


def expired_form(url: str, fields: dict[str, str]) -> Visit:
    """A form sent after its cookies are gone (a browser restarted, a tab left open for days):
    the page that refuses it is a page a person reads too."""

    def go(page: Page) -> Response | None:
        page.goto(url)
        page.context.clear_cookies()
        return fill_and_send(page, fields)

    return Visit(f"form sent without its cookies ({url})", go)


def unused_setup_link(origin: str) -> str:
    """A setup link of a second staff member: the owner's password is set, so the owner's own link
    no longer opens the form."""
    from veilleur.accounts.models import Agency, SetupLink

    agency = Agency.objects.get()
    member = StaffUser.objects.create_user(
        email="camille@atelier-lumiere.example", agency=agency, role="member"
    )
    return f"{origin}/setup/{SetupLink.issue(member, timedelta(hours=1))}/"


def ack_links(origin: str) -> list[Visit]:
    """The links of the alerts of an incident going on and of one that has ended, neither of them
    acknowledged (the demo acknowledges most of its incidents)."""
    unacknowledged = Incident.objects.filter(acknowledged_at__isnull=True).order_by("-first_failed_at")
    incidents = [
        unacknowledged.filter(recovered_at__isnull=True).first(),
        unacknowledged.filter(recovered_at__isnull=False).first()
        or Incident.objects.filter(recovered_at__isnull=False).order_by("-first_failed_at").first(),
    ]
    links = []
    for incident in incidents:
        assert incident is not None, "the demo made no incident"
        enqueue_incident_notices(incident, OutboxMessage.Kind.INCIDENT_CONFIRMED)
        row = OutboxMessage.objects.filter(incident=incident, channel=OutboxMessage.Channel.EMAIL).first()
        assert row is not None
        links.append(open_url(f"{origin}/ack/{make_ack_token(incident, row)}/"))
    return links


def subscription_links(page: StatusPage, root: str) -> list[Visit]:
    """The links of the subscription mails in each state: waiting for confirmation, confirmed,
    unsubscribed; and a link that is not valid."""
    now = timezone.now()
    waiting = Subscription.objects.create(page=page, email="attente@example.com")
    confirmed = Subscription.objects.create(page=page, email="abonne@example.com", confirmed_at=now)
    gone = Subscription.objects.create(
        page=page, email="parti@example.com", confirmed_at=now, unsubscribed_at=now
    )
    return [
        open_url(f"{root}subscriptions/confirm/{waiting.token}/"),
        open_url(f"{root}subscriptions/confirm/{confirmed.token}/"),
        open_url(f"{root}subscriptions/unsubscribe/{confirmed.token}/"),
        open_url(f"{root}subscriptions/unsubscribe/{gone.token}/"),
        open_url(f"{root}subscriptions/confirm/no-such-token/"),
    ]


def protected_page_visits(page: StatusPage, root: str) -> list[Visit]:
    """The password form of a protected page, as first shown and after a wrong password; the page
    is protected only for these visits, so that the crawl sees the rest of it. The query string
    keeps the browser from showing its cached copy of the public page."""
    page.set_password("le mot de passe du client")
    locked = f"{root}?locked"

    def protect(visit: Visit) -> Visit:
        def go(browser_page: Page) -> Response | None:
            pages = StatusPage.objects.filter(pk=page.pk)
            pages.update(
                visibility=StatusPage.Visibility.PASSWORD,
                password_hash=page.password_hash,
                state_version=F("state_version") + 1,
            )
            try:
                return visit.go(browser_page)
            finally:
                pages.update(visibility=StatusPage.Visibility.PUBLIC, state_version=F("state_version") + 1)

        return Visit(f"password form: {visit.label}", go)

    return [
        protect(open_url(locked)),
        protect(submit_form(locked, {"#unlock-password": "pas le bon"}, "wrong password")),
    ]


def show_status_pages_in(language: str) -> None:
    StatusPage.objects.update(language=language, state_version=F("state_version") + 1)


def portal_visits(origin: str) -> list[Visit]:
    """The client portal's entry points: its sign-in (refused, then a client user's, whose pages
    the crawl then follows), the e-mailed links' pages (an invitation, a magic link, a dead link),
    and the forms that send them."""
    from sesame.tokens import create_token  # type: ignore[import-untyped]

    from veilleur.portal.models import ClientUser
    from veilleur.portal.signin import MAGIC_SCOPE
    from veilleur.portal.staff import invite

    client = Client.objects.filter(plan__client_portal=True).order_by("key").first()
    assert client is not None, "no demo client has a plan with the portal"
    user = ClientUser(
        client=client, email="portail@client.example", name="Client", activated_at=timezone.now()
    )
    user.set_password(PASSWORD)
    user.save()
    _invited, invitation = invite(client, "invite@client.example")
    sign_in_url = f"{origin}/portal/sign-in/"
    return [
        open_url(f"{origin}/portal/invitation/{invitation}/"),
        open_url(f"{origin}/portal/invitation/no-such-link/"),
        open_url(f"{origin}/portal/sign-in/magic/?token={create_token(user, MAGIC_SCOPE)}"),
        submit_form(
            f"{origin}/portal/sign-in/link/", {"#id_email": "nobody@client.example"}, "portal link asked"
        ),
        submit_form(
            sign_in_url,
            {"#id_username": user.email, "#id_password": "not the password"},
            "portal sign-in refused",
        ),
        submit_form(sign_in_url, {"#id_username": user.email, "#id_password": PASSWORD}, "portal signed in"),
    ]


def show_portal_in(language: str) -> None:
    """Portal pages speak their client's language: the portal's client speaks the pass's."""
    Client.objects.filter(plan__client_portal=True).update(language=language)


def monthly_reports(now: datetime, tmp_path: Path) -> dict[str, list[Path]]:
    """Each demo client's report of the last whole month, in each language, as HTML files; the
    first one also as a draft with the agency's text and two sections left out."""
    last_month = now.astimezone(UTC).replace(day=1) - timedelta(days=1)
    reports: dict[str, list[Path]] = {language: [] for language in LANGUAGES}
    for number, client in enumerate(Client.objects.order_by("key")):
        report = monthly_report(client, last_month.year, last_month.month, now)
        for language in LANGUAGES:
            path = tmp_path / f"report-{client.key}-{last_month:%Y-%m}-{language}.html"
            path.write_text(render_html(report, language))
            reports[language].append(path)
            if number == 0:
                draft = tmp_path / f"draft-{client.key}-{last_month:%Y-%m}-{language}.html"
                draft.write_text(render_html(report, language, AGENCY_TEXT, draft=True))
                reports[language].append(draft)
    return reports


AGENCY_TEXT = EditorialText(
    intro="Un mois calme.\n\nMerci de votre confiance.",
    closing_note="À bientôt.",
    next_steps="Mettre à jour WordPress.",
    hidden_sections=frozenset({"performance", "guarantee"}),
)


def reports_to_review(now: datetime) -> None:
    """The reports page lists a draft with the agency's text and a published report, so that the
    crawl opens both review pages."""
    month = (now.astimezone(UTC).replace(day=1) - timedelta(days=1)).date().replace(day=1)
    first, second = Client.objects.order_by("key")[:2]
    draft = generate_report(first, Report.Kind.MONTHLY, month, now)
    save_editorial(draft, AGENCY_TEXT, now)
    Report.objects.filter(pk=draft.pk).update(send_after=now + timedelta(days=3))
    publish_report(generate_report(second, Report.Kind.MONTHLY, month, now), now)
