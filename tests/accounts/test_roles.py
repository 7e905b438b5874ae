"""What each staff role may do: only the owner's first-run link names the agency; members read
channels with their credentials masked and run no action; nobody reads a secret through the
admin's list filters; only an owner touches an owner's account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from veilleur.accounts.models import Agency, ApiToken, SetupLink, StaffUser
from veilleur.clients.models import Client, Site
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor
from veilleur.notifications.channels import HIDDEN, password_masked
from veilleur.notifications.models import NotificationChannel
from veilleur.plans.models import Plan
from veilleur.statuspages.models import StatusPage, Subscription

ROLES = ("owner", "admin", "member")
HOOK_PATH = "t0p-s3cret-path-4a7b"
SIGNING_SECRET = "signing-secret-9f8e7d6c5b4a"


def staff(agency: Agency, role: str) -> StaffUser:
    return StaffUser.objects.create_user(
        email=f"{role}@atelier.example", agency=agency, password="correct horse battery", role=role
    )


def signed_in(user: StaffUser) -> HttpClient:
    browser = HttpClient(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(user)
    return browser


@pytest.fixture
def channel(agency: Agency) -> NotificationChannel:
    return NotificationChannel.objects.create(
        agency=agency,
        key="ops-hook",
        name="Ops hook",
        kind=NotificationChannel.Kind.WEBHOOK,
        url=f"https://hooks.example/{HOOK_PATH}",
        secret=SIGNING_SECRET,
    )


# --- one-time links ------------------------------------------------------------------------


def invitation(user: StaffUser) -> str:
    return f"/setup/{SetupLink.issue(user, timedelta(hours=1))}/"


@pytest.mark.parametrize("role", ["admin", "member"])
def test_an_invited_member_sets_a_password_and_cannot_rename_the_agency(agency: Agency, role: str) -> None:
    invited = StaffUser.objects.create_user(email=f"{role}@atelier.example", agency=agency, role=role)
    link = invitation(invited)
    browser = HttpClient(HTTP_ACCEPT_LANGUAGE="en")
    form = browser.get(link).content.decode()
    assert 'name="agency_name"' not in form and "Name your agency" not in form
    assert 'name="password1"' in form
    answer = browser.post(
        link,
        {
            "agency_name": "Renamed by a member",
            "name": "Sam",
            "email": invited.email,
            "password1": "lanterne-magique-42",
            "password2": "lanterne-magique-42",
        },
    )
    assert answer.status_code == 302
    assert Agency.objects.get(pk=agency.pk).name == "Atelier Lumière"
    assert StaffUser.objects.get(pk=invited.pk).check_password("lanterne-magique-42")


def test_an_owner_with_a_password_gets_no_agency_field(agency: Agency) -> None:
    owner = staff(agency, "owner")
    form = HttpClient().get(invitation(owner)).content.decode()
    assert 'name="agency_name"' not in form


def test_the_first_run_link_names_the_agency(agency: Agency) -> None:
    first_owner = StaffUser.objects.create_user(email="owner@atelier.invalid", agency=agency, role="owner")
    form = HttpClient().get(invitation(first_owner)).content.decode()
    assert 'name="agency_name"' in form


# --- channel credentials -------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_channel_credentials_are_shown_to_those_who_manage_them_only(
    agency: Agency, channel: NotificationChannel, role: str
) -> None:
    browser = signed_in(staff(agency, role))
    listing = browser.get("/admin/notifications/notificationchannel/")
    change = browser.get(f"/admin/notifications/notificationchannel/{channel.pk}/change/")
    assert listing.status_code == 200 and change.status_code == 200
    assert HOOK_PATH not in listing.content.decode() and SIGNING_SECRET not in listing.content.decode()
    shown = change.content.decode()
    if role == "member":
        assert HOOK_PATH not in shown and SIGNING_SECRET not in shown
        assert "https://hooks.example/…" in shown
    else:
        assert HOOK_PATH in shown and SIGNING_SECRET in shown


@pytest.mark.parametrize("role", ROLES)
def test_monitor_request_headers_are_masked_for_members(agency: Agency, role: str) -> None:
    plan = Plan.objects.get(agency=agency, key="standard")
    client = Client.objects.create(agency=agency, key="bakery", name="Bakery", plan=plan)
    site = Site.objects.create(client=client, key="www", name="Site", url="https://bakery.example/")
    monitor = Monitor.objects.create(
        site=site,
        key="staging",
        url="https://staging.bakery.example/",
        request_headers={"Authorization": "Basic c3RhZ2luZzpodW50ZXIy"},
    )
    page = signed_in(staff(agency, role)).get(f"/admin/monitoring/monitor/{monitor.pk}/change/")
    assert page.status_code == 200
    shown = page.content.decode()
    assert "Authorization" in shown
    assert ("c3RhZ2luZzpodW50ZXIy" in shown) is (role != "member")


STAGING_PASSWORD = "hunter2-s3cret"
STAGING_URL = f"https://deploy:{STAGING_PASSWORD}@staging.bakery.example:8443/health?full=1"


@pytest.mark.parametrize("role", ROLES)
def test_a_monitor_url_s_password_is_masked_for_members(agency: Agency, role: str) -> None:
    plan = Plan.objects.get(agency=agency, key="standard")
    client = Client.objects.create(agency=agency, key="bakery", name="Bakery", plan=plan)
    site = Site.objects.create(client=client, key="staging", name="Staging", url=STAGING_URL)
    monitor = Monitor.objects.create(site=site, key="staging", url=STAGING_URL)
    now = timezone.now()
    incident = Incident.objects.create(monitor=monitor, first_failed_at=now, confirmed_at=now)
    browser = signed_in(staff(agency, role))
    pages = {
        path: browser.get(path)
        for path in (
            "/admin/monitoring/monitor/",
            f"/admin/monitoring/monitor/{monitor.pk}/change/",
            "/admin/clients/site/",
            f"/admin/clients/site/{site.pk}/change/",  # and the site's monitors, inline
            f"/admin/clients/client/{client.pk}/change/",  # the client's sites, inline
            reverse("incident-list"),
            reverse("incident-detail", args=[incident.pk]),
        )
    }
    for path, page in pages.items():
        assert page.status_code == 200, path
        shown = page.content.decode()
        if role == "member":
            assert STAGING_PASSWORD not in shown, path
            assert "https://deploy:…@staging.bakery.example:8443/health?full=1" in shown, path
        else:
            assert STAGING_PASSWORD in shown, path
    # Nor can a member find the password by searching for it.
    lists = {
        "/admin/monitoring/monitor/": monitor,
        "/admin/clients/site/": site,
        "/admin/clients/client/": client,
    }
    for path, row in lists.items():
        search = browser.get(path, {"q": STAGING_PASSWORD[:7]})
        assert list(search.context["cl"].result_list) == ([] if role == "member" else [row]), path


@given(
    user=st.text(alphabet="abcdefghij0123456789-._~", min_size=1, max_size=12),
    password=st.text(alphabet="klmnopqrstuvwxyz!$&'()*+,;=%", min_size=1, max_size=20),
    port=st.none() | st.integers(1, 65535),
    path=st.sampled_from(["", "/", "/health", "/a/b?x=1#frag"]),
)
def test_password_masked_hides_the_password_and_keeps_the_rest(
    user: str, password: str, port: int | None, path: str
) -> None:
    netloc = f"shop.example{f':{port}' if port is not None else ''}"
    masked = password_masked(f"https://{user}:{password}@{netloc}{path}")
    assert masked == f"https://{user}:{HIDDEN}@{netloc}{path}"
    assert password_masked(f"https://{user}@{netloc}{path}") == f"https://{user}@{netloc}{path}"
    assert password_masked(f"https://{netloc}{path}") == f"https://{netloc}{path}"


def secret_lookups(agency: Agency, channel: NotificationChannel) -> list[str]:
    plan = Plan.objects.get(agency=agency, key="standard")
    client = Client.objects.create(agency=agency, key="bakery", name="Bakery", plan=plan)
    page = StatusPage.objects.create(client=client, slug="bakery", title="Bakery")
    page.set_password("croissant-2026")
    page.save()
    Subscription.objects.create(page=page, email="reader@example.org")
    ApiToken.issue(agency, "deploy")
    return [
        "/admin/notifications/notificationchannel/?secret__startswith=s",
        "/admin/notifications/notificationchannel/?url__contains=s3cret",
        "/admin/statuspages/statuspage/?password_hash__startswith=argon2",
        "/admin/statuspages/statuspage/?domain_token__startswith=a",
        "/admin/statuspages/subscription/?token__startswith=a",
        "/admin/accounts/staffuser/?password__startswith=argon2",
        "/admin/accounts/apitoken/?digest__startswith=a",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_no_list_filters_by_a_secret(agency: Agency, channel: NotificationChannel, role: str) -> None:
    browser = signed_in(staff(agency, role))
    for path in secret_lookups(agency, channel) if role == "owner" else []:
        assert browser.get(path).status_code == 400, path
    if role != "owner":
        for path in (
            "/admin/notifications/notificationchannel/?secret__startswith=s",
            "/admin/accounts/staffuser/?password__startswith=argon2",
        ):
            assert browser.get(path).status_code == 400, path
    # The filters the page offers still work.
    assert browser.get("/admin/notifications/notificationchannel/?kind__exact=webhook").status_code == 200
    assert browser.get("/admin/accounts/apitoken/?revoked_at__isempty=1").status_code == 200


# --- actions and owners' accounts ----------------------------------------------------------


def run_action(browser: HttpClient, path: str, action: str, pk: int) -> None:
    browser.post(path, {"action": action, "_selected_action": [str(pk)]})


def test_a_member_runs_no_action(agency: Agency) -> None:
    owner = staff(agency, "owner")
    member = signed_in(staff(agency, "member"))
    plan = Plan.objects.get(agency=agency, key="standard")
    client = Client.objects.create(agency=agency, key="bakery", name="Bakery", plan=plan)
    site = Site.objects.create(client=client, key="www", name="Site", url="https://bakery.example/")
    monitor = Monitor.objects.create(site=site, key="home", url="https://bakery.example/")
    token, _clear = ApiToken.issue(agency, "deploy")
    listing = member.get("/admin/accounts/staffuser/").content.decode()
    assert "make_setup_link" not in listing

    run_action(member, "/admin/accounts/staffuser/", "make_setup_link", owner.pk)
    run_action(member, "/admin/monitoring/monitor/", "pause", monitor.pk)
    run_action(member, "/admin/accounts/apitoken/", "revoke", token.pk)
    assert not SetupLink.objects.filter(user=owner).exists()
    assert not Monitor.objects.get(pk=monitor.pk).paused
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_an_admin_cannot_take_the_owner_s_place(agency: Agency) -> None:
    owner = staff(agency, "owner")
    admin_user = staff(agency, "admin")
    browser = signed_in(admin_user)
    run_action(browser, "/admin/accounts/staffuser/", "make_setup_link", owner.pk)
    assert not SetupLink.objects.filter(user=owner).exists()
    # The owner's account is read-only to an admin, and "owner" is not a role an admin gives.
    form = browser.get(f"/admin/accounts/staffuser/{owner.pk}/change/").content.decode()
    assert 'name="role"' not in form
    own = browser.get(f"/admin/accounts/staffuser/{admin_user.pk}/change/").content.decode()
    assert re.search(r'<option value="admin"', own) and not re.search(r'<option value="owner"', own)
    browser.post(
        f"/admin/accounts/staffuser/{admin_user.pk}/change/",
        {"email": admin_user.email, "name": "", "role": "owner", "is_active": "on"},
    )
    assert StaffUser.objects.get(pk=admin_user.pk).role == "admin"
    browser.post(f"/admin/accounts/staffuser/{owner.pk}/delete/", {"post": "yes"})
    assert StaffUser.objects.filter(pk=owner.pk).exists()
    # An admin still invites members; an owner makes links for anyone.
    member = staff(agency, "member")
    run_action(browser, "/admin/accounts/staffuser/", "make_setup_link", member.pk)
    assert SetupLink.objects.filter(user=member).exists()
    run_action(signed_in(owner), "/admin/accounts/staffuser/", "make_setup_link", admin_user.pk)
    assert SetupLink.objects.filter(user=admin_user).exists()
