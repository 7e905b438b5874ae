"""Failed sign-ins are counted per account and per client address (django-axes, database
handler): past the limit the next try is refused even with the right password, with one message
whether the account exists or not, until the lockout time has passed since the last failure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client as HttpClient

from veilleur.accounts.models import StaffUser
from veilleur.throttling.signin import signin_subject

RIGHT = "correct horse battery"
LIMIT = settings.AXES_FAILURE_LIMIT


def browser(address: str = "198.51.100.7") -> HttpClient:
    """A visitor at ``address``, as the TLS proxy on loopback reports it."""
    return HttpClient(HTTP_X_FORWARDED_FOR=address, HTTP_ACCEPT_LANGUAGE="en")


def sign_in(visitor: HttpClient, email: str, password: str, path: str = "/login/") -> int:
    return visitor.post(path, {"username": email, "password": password}).status_code


def locked_message(visitor: HttpClient, email: str) -> str:
    response = visitor.post("/login/", {"username": email, "password": RIGHT})
    assert response.status_code == 429
    assert "_auth_user_id" not in visitor.session
    body = response.content.decode()
    start = body.index('role="alert">') + len('role="alert">')
    return body[start : body.index("<", start)]


def test_after_the_limit_the_right_password_is_refused(owner: StaffUser) -> None:
    visitor = browser()
    for _ in range(LIMIT - 1):
        assert sign_in(visitor, owner.email, "wrong password") == 200
    # The failure that reaches the limit is answered with the lockout already.
    assert sign_in(visitor, owner.email, "wrong password") == 429
    response = visitor.post("/login/", {"username": owner.email, "password": RIGHT})
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in visitor.session
    assert visitor.get("/").status_code == 302


def test_one_failure_less_and_the_right_password_works(owner: StaffUser) -> None:
    visitor = browser()
    for _ in range(LIMIT - 1):
        sign_in(visitor, owner.email, "wrong password")
    assert sign_in(visitor, owner.email, RIGHT) == 302


def test_an_account_is_limited_whatever_the_addresses(owner: StaffUser) -> None:
    for number in range(LIMIT):
        # Any case and surrounding spaces: the same account.
        sign_in(browser(f"203.0.113.{number + 1}"), f" {owner.email.upper()} ", "wrong password")
    assert sign_in(browser("192.0.2.200"), owner.email, RIGHT) == 429


def test_an_address_is_limited_whatever_the_accounts(owner: StaffUser) -> None:
    guesser = browser("198.51.100.9")
    for number in range(LIMIT):
        sign_in(guesser, f"guess{number}@atelier.example", "wrong password")
    assert sign_in(guesser, owner.email, RIGHT) == 429
    # Another address still signs in.
    assert sign_in(browser("198.51.100.10"), owner.email, RIGHT) == 302


def test_ipv6_addresses_of_one_network_count_together(owner: StaffUser) -> None:
    for number in range(LIMIT):
        sign_in(browser(f"2001:db8:1:2::{number + 1:x}"), f"guess{number}@x.example", "wrong")
    assert sign_in(browser("2001:db8:1:2:ffff::1"), owner.email, RIGHT) == 429
    assert sign_in(browser("2001:db8:1:3::1"), owner.email, RIGHT) == 302


def test_the_lockout_tells_nothing_about_the_account(owner: StaffUser) -> None:
    for email, address in ((owner.email, "198.51.100.21"), ("nobody@atelier.example", "198.51.100.22")):
        for _ in range(LIMIT):
            sign_in(browser(address), email, "wrong password")
    existing = locked_message(browser("198.51.100.21"), owner.email)
    unknown = locked_message(browser("198.51.100.22"), "nobody@atelier.example")
    assert existing == unknown and "Too many failed sign-ins" in existing


def test_the_lockout_ends_after_the_lockout_time(owner: StaffUser) -> None:
    visitor = browser()
    for _ in range(LIMIT):
        sign_in(visitor, owner.email, "wrong password")
    assert sign_in(visitor, owner.email, RIGHT) == 429
    # Time passes: the last failure is now a lockout time and a second old.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time
        - settings.AXES_COOLOFF_TIME
        - timedelta(seconds=1)
    )
    assert sign_in(visitor, owner.email, RIGHT) == 302


def test_tries_during_the_lockout_do_not_lengthen_it(owner: StaffUser) -> None:
    visitor = browser()
    for _ in range(LIMIT):
        sign_in(visitor, owner.email, "wrong password")
    last_failure = AccessAttempt.objects.get().attempt_time
    for _ in range(3):
        assert sign_in(visitor, owner.email, "wrong password") == 429
    assert AccessAttempt.objects.get().attempt_time == last_failure


def test_the_admin_sign_in_shares_the_count(owner: StaffUser) -> None:
    visitor = browser()
    for _ in range(LIMIT):
        sign_in(visitor, owner.email, "wrong password", path="/admin/login/")
    assert sign_in(visitor, owner.email, RIGHT, path="/admin/login/") == 429
    assert sign_in(visitor, owner.email, RIGHT) == 429


def test_a_visitor_cannot_choose_their_address(owner: StaffUser) -> None:
    """Only the proxy on loopback is believed: from elsewhere, X-Forwarded-For is ignored."""
    for number in range(LIMIT):
        outsider = HttpClient(REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR=f"192.0.2.{number + 1}")
        sign_in(outsider, f"guess{number}@x.example", "wrong")
    assert sign_in(HttpClient(REMOTE_ADDR="203.0.113.50"), owner.email, RIGHT) == 429


@pytest.mark.parametrize(
    ("credentials", "subject"),
    [
        ({"username": " Owner@Atelier.example "}, "owner@atelier.example"),
        ({"username": "owner@atelier.example", "realm": "portal"}, "portal:owner@atelier.example"),
        ({}, None),
    ],
)
def test_accounts_are_counted_by_realm(credentials: dict[str, str], subject: str | None) -> None:
    assert signin_subject(None, credentials) == subject


def test_typed_passwords_are_not_stored(owner: StaffUser) -> None:
    """A wrong password is often a near miss of the right one: the counters keep none."""
    visitor = browser()
    for number in range(3):
        sign_in(visitor, owner.email, f"correct horse battery{number}")
    [attempt] = AccessAttempt.objects.all()
    assert attempt.failures_since_start == 3
    assert "correct horse" not in attempt.post_data + attempt.get_data
