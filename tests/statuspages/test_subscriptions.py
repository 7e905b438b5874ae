"""Subscribing to a status page through its own URLs: double opt-in by mail (only a POST
confirms), one-click unsubscribe, answers that never tell who is subscribed, links that work on
their own page only, and a password page that refuses visitors who have not unlocked it."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client as WebClient
from django.utils import timezone

from tests.notifications.conftest import FakeClock, deliverer
from tests.notifications.mailsink import MailSink, Received
from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Site
from veilleur.notifications.models import OutboxMessage
from veilleur.plans.models import Plan
from veilleur.statuspages.links import page_url
from veilleur.statuspages.models import StatusComponent, StatusPage, Subscription
from veilleur.statuspages.subscriptions import RESEND_AFTER
from veilleur.statuspages.throttles import SUBSCRIBE_PER_ADDRESS, SUBSCRIBE_PER_PAGE
from veilleur.throttling.models import Attempt

VISITOR = "Visitor@Example.org"
ADDRESS = "visitor@example.org"  # as stored and mailed


def make_page(agency: Agency, key: str, title: str, *, plan: str = "standard") -> StatusPage:
    client = Client.objects.create(
        agency=agency,
        key=key,
        name=key.title(),
        plan=Plan.objects.get(agency=agency, key=plan),
        language="en",
    )
    page = StatusPage.objects.create(
        client=client, slug=key, title=title, language="en", primary_color="#2b6cb0"
    )
    site = Site.objects.create(client=client, key="www", name="Internal name", url=f"https://{key}.example")
    StatusComponent.objects.create(page=page, site=site, public_name="Website")
    return page


@pytest.fixture
def page(agency: Agency) -> StatusPage:
    return make_page(agency, "bakery", "Bakery status")


@pytest.fixture
def other_page(agency: Agency) -> StatusPage:
    return make_page(agency, "florist", "Florist status")


@pytest.fixture
def sink() -> Iterator[MailSink]:
    server = MailSink().start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def web() -> WebClient:
    # Status pages are answered without the agency application's CSRF machinery: prove it.
    return WebClient(enforce_csrf_checks=True)


def subscribe(web: WebClient, page: StatusPage, email: str) -> tuple[int, str]:
    response = web.post(f"/s/{page.slug}/subscribe/", {"email": email})
    return response.status_code, response.content.decode()


def deliver(sink: MailSink, clock: FakeClock) -> list[Received]:
    before = len(sink.messages())
    clock.advance(1)
    deliverer(sink.port, clock).run()
    return sink.messages()[before:]


def text_of(mail: Received) -> str:
    part = mail.message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def confirm_link(mail: Received, page: StatusPage) -> str:
    """The confirmation link of the mail, as a path on the page's host."""
    found = re.search(re.escape(page_url(page)) + r"subscriptions/confirm/[^/\s]+/", text_of(mail))
    assert found is not None, text_of(mail)
    return urlsplit(found.group(0)).path


def path_of(page: StatusPage, relative: str) -> str:
    return urlsplit(page_url(page, relative)).path


def subscription(page: StatusPage, email: str = ADDRESS) -> Subscription:
    return Subscription.objects.get(page=page, email=email)


def test_subscribing_mails_one_confirmation_and_only_the_button_confirms(
    web: WebClient, page: StatusPage, sink: MailSink, clock: FakeClock
) -> None:
    status, body = subscribe(web, page, f"  {VISITOR} ")
    assert status == 200 and "Check your inbox" in body and ADDRESS in body
    [mail] = deliver(sink, clock)
    assert mail.recipients == [ADDRESS]
    assert mail.subject == "Confirm your subscription to Bakery status"
    assert mail.message["From"].addresses[0].display_name == "Bakery status"
    assert mail.message["List-Unsubscribe"] is None  # not subscribed yet
    assert mail.message.get_content_type() == "multipart/alternative"
    link = confirm_link(mail, page)
    assert link == path_of(page, f"subscriptions/confirm/{subscription(page).token}/")

    for _ in range(2):  # a mail scanner, then the person: opening confirms nothing
        response = web.get(link)
        assert response.status_code == 200 and b'<form method="post">' in response.content
        assert response["Cache-Control"] == "private, no-store"
        assert subscription(page).confirmed_at is None

    response = web.post(link)
    assert response.status_code == 200 and b"Subscription confirmed" in response.content
    confirmed_at = subscription(page).confirmed_at
    assert confirmed_at is not None and subscription(page).active
    assert web.post(link).status_code == 200  # again: nothing changes
    assert subscription(page).confirmed_at == confirmed_at
    assert b"Subscription confirmed" in web.get(link).content
    assert not deliver(sink, clock)


def test_the_answer_never_tells_whether_an_address_is_subscribed(
    web: WebClient, page: StatusPage, sink: MailSink, clock: FakeClock
) -> None:
    first = subscribe(web, page, VISITOR)
    [mail] = deliver(sink, clock)
    again_while_pending = subscribe(web, page, VISITOR)
    web.post(confirm_link(mail, page))
    again_while_active = subscribe(web, page, VISITOR)
    assert first == again_while_pending == again_while_active
    assert not deliver(sink, clock)  # the pending one is too recent, the active one needs nothing
    assert Subscription.objects.filter(page=page).count() == 1


def test_a_pending_address_gets_its_confirmation_again_after_a_while(
    web: WebClient, page: StatusPage, sink: MailSink, clock: FakeClock
) -> None:
    subscribe(web, page, VISITOR)
    [first] = deliver(sink, clock)
    rows = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.SUBSCRIPTION_CONFIRM)
    rows.update(created_at=timezone.now() - RESEND_AFTER - timedelta(seconds=1))
    subscribe(web, page, VISITOR)
    subscribe(web, page, VISITOR)  # a double click sends it once
    [second] = deliver(sink, clock)
    assert confirm_link(second, page) == confirm_link(first, page)
    assert rows.count() == 2 and len(set(rows.values_list("idempotency_key", flat=True))) == 2
    assert all(subscription(page).token not in key for key in rows.values_list("idempotency_key", flat=True))


def test_an_unsubscribed_address_starts_over_with_new_links(
    web: WebClient, page: StatusPage, sink: MailSink, clock: FakeClock
) -> None:
    subscribe(web, page, VISITOR)
    [mail] = deliver(sink, clock)
    old_confirm = confirm_link(mail, page)
    web.post(old_confirm)
    old_token = subscription(page).token
    old_unsubscribe = path_of(page, f"subscriptions/unsubscribe/{old_token}/")
    assert b"Unsubscribed" in web.post(old_unsubscribe).content
    assert web.post(old_confirm).status_code == 200  # an old link does not undo it
    assert subscription(page).unsubscribed_at is not None and not subscription(page).active

    status, body = subscribe(web, page, VISITOR)
    assert status == 200 and "Check your inbox" in body
    renewed = subscription(page)
    assert renewed.token != old_token and renewed.confirmed_at is None and renewed.unsubscribed_at is None
    [mail] = deliver(sink, clock)
    assert confirm_link(mail, page) == path_of(page, f"subscriptions/confirm/{renewed.token}/")
    for old_link in (old_confirm, old_unsubscribe):
        response = web.post(old_link)
        assert response.status_code == 404 and b"This link is not valid" in response.content
    assert not subscription(page).active
    web.post(confirm_link(mail, page))
    assert subscription(page).active


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("", "Enter your email address."),
        ("   ", "Enter your email address."),
        ("not-an-address", "This is not a valid email address"),
        ("two@at@example.org", "This is not a valid email address"),
        ("line\nbreak@example.org", "This is not a valid email address"),
        (f"{'x' * 250}@example.org", "This email address is too long"),
    ],
)
def test_a_bad_address_is_refused_with_the_reason(
    web: WebClient, page: StatusPage, email: str, reason: str
) -> None:
    status, body = subscribe(web, page, email)
    assert status == 400 and reason in body and 'name="email"' in body
    assert not Subscription.objects.exists() and not OutboxMessage.objects.exists()


def test_subscribe_takes_only_posts(web: WebClient, page: StatusPage) -> None:
    assert web.get(f"/s/{page.slug}/subscribe/").status_code == 405
    assert web.put(f"/s/{page.slug}/subscribe/").status_code == 405
    assert not Subscription.objects.exists()


def test_a_link_works_on_its_own_page_only(web: WebClient, page: StatusPage, other_page: StatusPage) -> None:
    theirs = Subscription.objects.create(page=other_page, email="florist-fan@example.org")
    for kind in ("confirm", "unsubscribe"):
        for token in (theirs.token, "no-such-token"):
            path = path_of(page, f"subscriptions/{kind}/{token}/")
            for response in (web.get(path), web.post(path)):
                assert response.status_code == 404
                assert b"This link is not valid" in response.content
                assert b"florist-fan" not in response.content and b"Florist" not in response.content
    theirs.refresh_from_db()
    assert theirs.confirmed_at is None and theirs.unsubscribed_at is None
    # On its own page, the same token works.
    assert web.post(path_of(other_page, f"subscriptions/confirm/{theirs.token}/")).status_code == 200
    theirs.refresh_from_db()
    assert theirs.active


def test_a_password_page_refuses_visitors_who_have_not_unlocked_it(
    web: WebClient, page: StatusPage, sink: MailSink, clock: FakeClock
) -> None:
    page.visibility = StatusPage.Visibility.PASSWORD
    page.set_password("croissant au beurre")
    page.save()
    status, body = subscribe(web, page, VISITOR)
    assert status == 403 and "Check your inbox" not in body
    assert not Subscription.objects.exists() and not deliver(sink, clock)

    unlocked = web.post(f"/s/{page.slug}/unlock/", {"password": "croissant au beurre"})
    assert unlocked.status_code in (302, 303)
    status, body = subscribe(web, page, VISITOR)
    assert status == 200 and "Check your inbox" in body
    [mail] = deliver(sink, clock)

    # The links in the mail are the proof: a browser without the page's cookie may use them.
    stranger = WebClient(enforce_csrf_checks=True)
    assert stranger.post(confirm_link(mail, page)).status_code == 200
    assert subscription(page).active
    one_click = stranger.post(
        path_of(page, f"subscriptions/unsubscribe/{subscription(page).token}/"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200 and subscription(page).unsubscribed_at is not None


def test_unsubscribing_shows_a_button_and_one_click_needs_nothing_else(
    web: WebClient, page: StatusPage
) -> None:
    mine = Subscription.objects.create(page=page, email=ADDRESS, confirmed_at=timezone.now())
    path = path_of(page, f"subscriptions/unsubscribe/{mine.token}/")
    shown = web.get(path)
    assert (
        shown.status_code == 200
        and b'<form method="post">' in shown.content
        and ADDRESS.encode() in shown.content
    )
    assert subscription(page).active  # opening the page changes nothing

    provider = WebClient(enforce_csrf_checks=True)  # a mail provider: no cookie, no CSRF token
    response = provider.post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and b"Unsubscribed" in response.content
    first = subscription(page).unsubscribed_at
    assert first is not None
    assert (
        provider.post(
            path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    assert subscription(page).unsubscribed_at == first  # idempotent
    assert b"Unsubscribed" in web.get(path).content


def test_links_on_a_verified_custom_domain(
    web: WebClient, page: StatusPage, sink: MailSink, clock: FakeClock
) -> None:
    StatusPage.objects.filter(pk=page.pk).update(
        custom_domain="status.bakery.example", domain_verified_at=timezone.now()
    )
    page.refresh_from_db()
    status, _ = subscribe(web, page, VISITOR)  # through the agency's host, /s/<slug>/
    assert status == 200
    [mail] = deliver(sink, clock)
    token = subscription(page).token
    assert f"https://status.bakery.example/subscriptions/confirm/{token}/" in text_of(mail)

    on_domain = WebClient(enforce_csrf_checks=True, HTTP_HOST="status.bakery.example")
    path = f"/subscriptions/confirm/{token}/"
    assert b'<form method="post">' in on_domain.get(path).content
    assert on_domain.post(path).status_code == 200
    assert subscription(page).active
    back = on_domain.get(path).content.decode()
    assert 'href="/"' in back  # its way back to the page stays on the domain


def test_pages_speak_the_page_language(web: WebClient, page: StatusPage) -> None:
    StatusPage.objects.filter(pk=page.pk).update(language="fr")
    _status, body = subscribe(web, page, VISITOR)
    assert '<html lang="fr">' in body
    row = OutboxMessage.objects.get(kind=OutboxMessage.Kind.SUBSCRIPTION_CONFIRM)
    assert row.language == "fr" and row.recipient == ADDRESS and row.subscription == subscription(page)


@pytest.mark.django_db(transaction=True)
def test_racing_requests_make_one_subscription_one_mail_and_one_confirmation(page: StatusPage) -> None:
    start = threading.Barrier(4)
    statuses: list[int] = []

    def race(path: str) -> None:
        try:
            start.wait()
            statuses.append(WebClient().post(path, {"email": VISITOR}).status_code)
        finally:
            connection.close()

    def run(path: str) -> None:
        racers = [threading.Thread(target=race, args=(path,)) for _ in range(4)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(60)

    run(f"/s/{page.slug}/subscribe/")
    assert statuses == [200] * 4
    assert Subscription.objects.count() == 1
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.SUBSCRIPTION_CONFIRM).count() == 1

    statuses.clear()
    run(path_of(page, f"subscriptions/confirm/{subscription(page).token}/"))
    assert statuses == [200] * 4 and subscription(page).active


def test_subscription_requests_are_limited_per_address_with_one_answer(page: StatusPage) -> None:
    flooder = WebClient(HTTP_X_FORWARDED_FOR="198.51.100.7")
    for number in range(SUBSCRIBE_PER_ADDRESS.attempts):
        assert (
            flooder.post("/s/bakery/subscribe/", {"email": f"victim{number}@example.org"}).status_code == 200
        )
    mails = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.SUBSCRIPTION_CONFIRM).count()
    answers = set()
    for email in ("victim0@example.org", "new@example.org", "not an address"):
        response = flooder.post("/s/bakery/subscribe/", {"email": email})
        assert response.status_code == 429 and int(response["Retry-After"]) > 0
        body = response.content.decode()
        answers.add(re.search(r'role="alert">([^<]*)<', body).group(1))  # type: ignore[union-attr]
    assert answers == {"Too many attempts. Try again in 60 minutes."}
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.SUBSCRIPTION_CONFIRM).count() == mails
    # Another address subscribes.
    other = WebClient(HTTP_X_FORWARDED_FOR="198.51.100.8").post("/s/bakery/subscribe/", {"email": VISITOR})
    assert other.status_code == 200


def test_subscription_requests_are_limited_per_page(page: StatusPage, other_page: StatusPage) -> None:
    for number in range(SUBSCRIBE_PER_PAGE.attempts):
        visitor = WebClient(HTTP_X_FORWARDED_FOR=f"203.0.{number // 200}.{number % 200 + 1}")
        assert visitor.post("/s/bakery/subscribe/", {"email": VISITOR}).status_code == 200
    late = WebClient(HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert late.post("/s/bakery/subscribe/", {"email": VISITOR}).status_code == 429
    assert late.post("/s/florist/subscribe/", {"email": VISITOR}).status_code == 200
    Attempt.objects.update(at=timezone.now() - SUBSCRIBE_PER_PAGE.window - timedelta(seconds=1))
    assert late.post("/s/bakery/subscribe/", {"email": VISITOR}).status_code == 200
