"""The portal on the agency's own domain: only the portal answers there, only that agency's users
sign in, and the TLS proxy may get a certificate for it."""

from __future__ import annotations

import pytest
from django.test import Client as Browser
from django.urls import reverse

from tests.portal.conftest import PASSWORD, World, signed_in
from veilleur.portal.models import PortalDomain

HOST = "portal.atelier.example"


@pytest.mark.django_db
def test_the_agencys_portal_domain_serves_the_portal_only(world: World) -> None:
    PortalDomain.objects.create(agency=world.agencies[0], domain=HOST)
    browser = Browser(HTTP_HOST=HOST)
    assert browser.get("/")["Location"] == "/portal/"
    assert browser.get(reverse("portal-sign-in")).status_code == 200
    for staff_path in ("/login/", "/admin/", "/api/v1/clients", "/clients/1/portal-users/"):
        assert browser.get(staff_path).status_code == 404, staff_path
    response = browser.post(
        reverse("portal-sign-in"), {"username": "anna@bakery.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert browser.get(reverse("portal-overview")).status_code == 200


@pytest.mark.django_db
def test_another_agencys_users_do_not_exist_on_its_domain(world: World) -> None:
    PortalDomain.objects.create(agency=world.agencies[1], domain="portal.studio.example")
    browser = signed_in(world.user_a)
    browser.defaults["HTTP_HOST"] = "portal.studio.example"
    assert browser.get(reverse("portal-overview")).status_code == 302
    other = Browser(HTTP_HOST="portal.studio.example")
    response = other.post(
        reverse("portal-sign-in"), {"username": "anna@bakery.example", "password": PASSWORD}
    )
    assert response.status_code == 200  # the form again: no such account here


@pytest.mark.django_db
def test_tls_is_allowed_for_a_portal_domain_and_unknown_hosts_stay_refused(world: World) -> None:
    PortalDomain.objects.create(agency=world.agencies[0], domain=HOST)
    assert Browser().get("/internal/tls-allowed", {"domain": HOST}).status_code == 200
    assert Browser().get("/internal/tls-allowed", {"domain": "other.example"}).status_code == 404
    assert Browser(HTTP_HOST="other.example").get("/portal/").status_code == 400
