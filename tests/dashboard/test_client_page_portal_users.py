"""The client page carries the portal users section for managers, where the plan has a portal."""

from __future__ import annotations

from django.test import Client as Browser
from django.urls import reverse

from tests.dashboard.conftest import World, build_world
from veilleur.accounts.models import Agency
from veilleur.portal.staff import invite


def test_managers_invite_from_the_client_page(world: World, owner_browser: Browser) -> None:
    user, _ = invite(world.client, "claire@boulangerie.example")
    page = owner_browser.get(reverse("client-detail", args=[world.client.pk])).content.decode()
    assert "claire@boulangerie.example" in page
    assert reverse("portal-staff-client-users", args=[world.client.pk]) in page
    assert reverse("portal-staff-revoke", args=[world.client.pk, user.pk]) in page


def test_members_do_not_see_the_section(world: World, member_browser: Browser) -> None:
    invite(world.client, "claire@boulangerie.example")
    page = member_browser.get(reverse("client-detail", args=[world.client.pk])).content.decode()
    assert "claire@boulangerie.example" not in page
    assert reverse("portal-staff-client-users", args=[world.client.pk]) not in page


def test_no_section_where_the_plan_has_no_portal(agency: Agency, owner_browser: Browser) -> None:
    basic = build_world(agency, plan_key="basic", key="fleuriste")
    page = owner_browser.get(reverse("client-detail", args=[basic.client.pk])).content.decode()
    assert reverse("portal-staff-client-users", args=[basic.client.pk]) not in page
