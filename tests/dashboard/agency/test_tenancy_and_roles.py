"""Another agency's reports, plans and staff answer 404 and stay as they were; members read the
agency's pages and change nothing; the team never loses its last owner."""

from __future__ import annotations

import pytest
from django.utils import timezone

from veilleur.accounts.models import StaffUser
from veilleur.notifications.models import OutboxMessage
from veilleur.plans.models import Plan
from veilleur.reports.models import Report

from .conftest import World, previous_month

pytestmark = pytest.mark.django_db


def test_another_agencys_objects_answer_404_and_stay(world: World, rival: World) -> None:
    browser = rival.browser(rival.owner)
    plan = Plan.objects.filter(agency=world.agency).first()
    assert plan is not None
    report_before = Report.objects.values().get(pk=world.report.pk)
    pages = (
        f"/reports/{world.report.pk}/",
        f"/reports/{world.report.pk}/pdf",
        f"/reports/{world.report.pk}/review",
        f"/plans/{plan.pk}/",
    )
    for url in pages:
        assert browser.get(url).status_code == 404, url
    posts = {
        f"/reports/{world.report.pk}/send": {"send_key": "page-key-12345678"},
        f"/reports/{world.report.pk}/regenerate": {},
        f"/reports/{world.report.pk}/text": {"intro": "Stolen"},
        f"/reports/{world.report.pk}/publish": {},
        f"/reports/{world.report.pk}/hold": {},
        f"/plans/{plan.pk}/": {"name": "Stolen"},
        f"/team/{world.member.pk}/role": {"role": "owner"},
        f"/team/{world.member.pk}/remove": {},
        f"/team/{world.member.pk}/invite-again": {},
    }
    for url, data in posts.items():
        assert browser.post(url, data).status_code == 404, url
    assert Report.objects.values().get(pk=world.report.pk) == report_before
    assert not OutboxMessage.objects.exists()
    assert Plan.objects.get(pk=plan.pk).name == plan.name
    member = StaffUser.objects.get(pk=world.member.pk)
    assert (member.role, member.is_active) == ("member", True)
    listing = browser.get("/reports/").content.decode()
    assert world.client.name not in listing and rival.client.name in listing


def test_members_read_and_change_nothing(world: World) -> None:
    browser = world.browser(world.member)
    for url in (
        "/reports/",
        f"/reports/{world.report.pk}/review",
        "/team/",
        "/settings/",
        "/plans/",
        "/offer/",
    ):
        assert browser.get(url).status_code == 200, url
    report_before = Report.objects.values().get(pk=world.report.pk)
    assert browser.get("/plans/new").status_code == 404
    for url, data in {
        "/team/invite": {"email": "new@atelier.example", "role": "admin"},
        f"/team/{world.admin.pk}/role": {"role": "member"},
        f"/team/{world.admin.pk}/remove": {},
        f"/reports/{world.report.pk}/send": {"send_key": "page-key-12345678"},
        "/reports/generate": {"month": f"{previous_month(timezone.now()):%Y-%m}"},
        f"/reports/{world.report.pk}/text": {"intro": "Written by a member"},
        f"/reports/{world.report.pk}/publish": {},
        f"/reports/{world.report.pk}/hold": {},
    }.items():
        assert browser.post(url, data).status_code == 404, url
    assert Report.objects.values().get(pk=world.report.pk) == report_before
    browser.post("/settings/", {"agency-name": "Renamed by a member"})
    world.agency.refresh_from_db()
    assert world.agency.name == "Atelier Lumière"
    assert StaffUser.objects.filter(agency=world.agency, is_active=True).count() == 3
    assert not OutboxMessage.objects.exists()


def test_the_last_owner_stays_and_removing_yourself_needs_a_tick(world: World) -> None:
    owner = world.browser(world.owner)
    owner.post(f"/team/{world.owner.pk}/role", {"role": "admin"})
    owner.post(f"/team/{world.owner.pk}/remove", {"confirm_self": "yes"})
    world.owner.refresh_from_db()
    assert (world.owner.role, world.owner.is_active) == ("owner", True)

    admin = world.browser(world.admin)
    admin.post(f"/team/{world.owner.pk}/remove")  # an admin cannot remove an owner
    admin.post(f"/team/{world.admin.pk}/remove")  # nor themself without ticking the box
    assert StaffUser.objects.filter(pk__in=[world.owner.pk, world.admin.pk], is_active=True).count() == 2

    admin.post(f"/team/{world.member.pk}/remove")
    world.member.refresh_from_db()
    assert not world.member.is_active and not world.member.has_usable_password()
    assert world.browser(world.member).get("/team/").status_code == 302  # signed out for good
