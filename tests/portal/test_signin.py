"""Signing in to the portal: invitations, passwords, magic links, resets, throttling, revocation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from tests.notifications.mailsink import MailSink
from tests.portal.conftest import PASSWORD, World, signed_in
from veilleur.portal.models import ClientUser, Invitation

NEW_PASSWORD = "another long passphrase"


def link_in(sink: MailSink, address: str) -> str:
    message = sink.to(address)[-1].message
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"https?://\S+/portal/\S+", body.get_content())
    assert found, body.get_content()
    return found.group(0)


def path_of(link: str) -> str:
    return link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def sign_in(browser: Browser, email: str, password: str) -> int:
    response = browser.post(reverse("portal-sign-in"), {"username": email, "password": password})
    return response.status_code


@pytest.mark.django_db
def test_invitation_mail_sets_the_password_once(world: World, sink: MailSink) -> None:
    staff = Browser()
    staff.force_login(world.staff)
    client = world.clients[0].client
    response = staff.post(
        reverse("portal-staff-client-users", args=[client.pk]),
        {"email": "Carla@Bakery.example", "name": "Carla"},
    )
    assert response.status_code == 302
    user = ClientUser.objects.get(email="carla@bakery.example")
    assert user.state == "invited" and not user.has_usable_password()
    path = path_of(link_in(sink, "carla@bakery.example"))

    browser = Browser()
    assert browser.get(path).status_code == 200  # a GET changes nothing
    assert browser.post(path, {"password1": "short", "password2": "short"}).status_code == 200
    response = browser.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("portal-overview")
    assert browser.get(reverse("portal-overview")).status_code == 200
    user.refresh_from_db()
    assert user.state == "active" and user.check_password(NEW_PASSWORD)
    assert Browser().get(path).status_code == 404  # used up
    assert sign_in(Browser(), "carla@bakery.example", NEW_PASSWORD) == 302


@pytest.mark.django_db
def test_a_new_invitation_ends_the_earlier_one_and_revoking_ends_all(world: World, sink: MailSink) -> None:
    staff = Browser()
    staff.force_login(world.staff)
    client = world.clients[0].client
    staff.post(reverse("portal-staff-client-users", args=[client.pk]), {"email": "dan@bakery.example"})
    user = ClientUser.objects.get(email="dan@bakery.example")
    first = path_of(link_in(sink, "dan@bakery.example"))
    staff.post(reverse("portal-staff-regenerate", args=[client.pk, user.pk]))
    second = path_of(link_in(sink, "dan@bakery.example"))
    assert first != second
    assert Browser().get(first).status_code == 404
    assert Browser().get(second).status_code == 200
    staff.post(reverse("portal-staff-revoke", args=[client.pk, user.pk]))
    assert Browser().get(second).status_code == 404


@pytest.mark.django_db
def test_an_invitation_expires_after_seven_days(world: World) -> None:
    token = Invitation.issue(world.user_a, now=timezone.now() - timedelta(days=7, seconds=1))
    assert Browser().get(reverse("portal-invitation", args=[token])).status_code == 404
    fresh = Invitation.issue(world.user_a, now=timezone.now() - timedelta(days=6, hours=23))
    assert Browser().get(reverse("portal-invitation", args=[fresh])).status_code == 200


@pytest.mark.django_db
def test_password_sign_in_and_revocation_ends_the_session(world: World) -> None:
    browser = Browser()
    assert sign_in(browser, "anna@bakery.example", "wrong password") == 200
    assert sign_in(browser, "ANNA@bakery.example", PASSWORD) == 302
    assert browser.get(reverse("portal-overview")).status_code == 200
    assert sign_in(Browser(), "rita@bakery.example", PASSWORD) == 200  # revoked
    ClientUser.objects.filter(pk=world.user_a.pk).update(revoked_at=timezone.now())
    assert browser.get(reverse("portal-overview")).status_code == 302


@pytest.mark.django_db
def test_staff_credentials_do_not_open_the_portal(world: World) -> None:
    browser = Browser()
    assert sign_in(browser, "owner@atelier.example", PASSWORD) == 200
    assert browser.get(reverse("portal-overview")).status_code == 302
    assert browser.get("/").status_code == 302  # nor the staff application


@pytest.mark.django_db
def test_too_many_failed_sign_ins_get_a_clear_page(world: World, settings: object) -> None:
    settings.AXES_FAILURE_LIMIT = 3  # type: ignore[attr-defined]
    browser = Browser(headers={"Accept-Language": "en"})
    for _attempt in range(3):
        sign_in(browser, "anna@bakery.example", "wrong password")
    response = browser.post(
        reverse("portal-sign-in"), {"username": "anna@bakery.example", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "portal-alternatives" in response.content.decode()  # the portal's page, not the staff one
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_magic_link_signs_in_once_on_post(world: World, sink: MailSink) -> None:
    browser = Browser(headers={"Accept-Language": "en"})
    response = browser.post(reverse("portal-magic-link-request"), {"email": "anna@bakery.example"})
    assert response.status_code == 200
    unknown = browser.post(reverse("portal-magic-link-request"), {"email": "nobody@bakery.example"})
    # The same answer whether the address has an account or not.
    assert unknown.status_code == 200
    assert "If nobody@bakery.example has a portal account" in unknown.content.decode()
    assert "If anna@bakery.example has a portal account" in response.content.decode()
    assert [m.recipients for m in sink.messages()] == [["anna@bakery.example"]]
    path = path_of(link_in(sink, "anna@bakery.example"))
    visitor = Browser()
    assert visitor.get(path).status_code == 200  # a mail scanner's GET signs nobody in
    assert visitor.get(reverse("portal-overview")).status_code == 302
    token = path.split("token=", 1)[1]
    assert visitor.post(reverse("portal-magic-link"), {"token": token}).status_code == 302
    assert visitor.get(reverse("portal-overview")).status_code == 200
    assert Browser().post(reverse("portal-magic-link"), {"token": token}).status_code == 404  # single use


@pytest.mark.django_db
def test_password_reset_link_sets_a_new_password_once(world: World, sink: MailSink) -> None:
    Browser().post(reverse("portal-password-reset"), {"email": "anna@bakery.example"})
    path = path_of(link_in(sink, "anna@bakery.example"))
    token = path.split("token=", 1)[1]
    browser = Browser()
    assert browser.get(path).status_code == 200
    url = reverse("portal-password-reset-confirm")
    assert (
        browser.post(url, {"token": token, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code
        == 302
    )
    assert sign_in(Browser(), "anna@bakery.example", NEW_PASSWORD) == 302
    assert (
        Browser().post(url, {"token": token, "password1": PASSWORD, "password2": PASSWORD}).status_code == 404
    )
    # Sessions signed in with the old password end.
    assert signed_in_before_reset(world).get(reverse("portal-overview")).status_code == 302


def signed_in_before_reset(world: World) -> Browser:
    return signed_in(world.user_a)  # holds the hash of the password of the fixture, now replaced


@pytest.mark.django_db
def test_links_by_mail_are_limited_per_address(world: World, sink: MailSink) -> None:
    browser = Browser()
    statuses = [
        browser.post(reverse("portal-magic-link-request"), {"email": "anna@bakery.example"}).status_code
        for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    assert len(sink.to("anna@bakery.example")) == 5
