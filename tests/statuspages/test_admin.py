"""The status page admin: scoped to the agency, a write-only password, a custom domain verified
again when it changes, components limited to the page's client's sites, read-only lists of
subscribers and public updates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from tests.statuspages.dnsserver import DnsServer
from veilleur.accounts.models import Agency, StaffUser
from veilleur.clients.models import Client, Site
from veilleur.incidents.models import Incident, IncidentUpdate
from veilleur.incidents.updates import post_update
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan
from veilleur.statuspages.models import StatusComponent, StatusPage, Subscription

SECRET = "correct horse battery"
PAGES = "/admin/statuspages/statuspage/"


def client_with_sites(agency: Agency, key: str, plan: str = "standard") -> Client:
    client = Client.objects.create(
        agency=agency, key=key, name=key.title(), plan=Plan.objects.get(agency=agency, key=plan)
    )
    for site_key in ("www", "shop"):
        Site.objects.create(
            client=client, key=site_key, name=f"{key} {site_key}", url=f"https://{site_key}.{key}.example/"
        )
    return client


def page_form(client: Client, **fields: Any) -> dict[str, Any]:
    """The admin's add/change form, with no component rows unless given."""
    data: dict[str, Any] = {
        "client": str(client.pk),
        "slug": client.key,
        "title": f"{client.name} status",
        "language": "fr",
        "visibility": "public",
        "password": "",
        "logo_url": "",
        "favicon_url": "",
        "primary_color": "",
        "accent_color": "",
        "footer_text": "",
        "footer_url": "",
        "custom_domain": "",
        "components-TOTAL_FORMS": "0",
        "components-INITIAL_FORMS": "0",
        "components-MIN_NUM_FORMS": "0",
        "components-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def with_components(data: dict[str, Any], *sites: Site) -> dict[str, Any]:
    rows = {}
    for index, site in enumerate(sites):
        rows.update(
            {
                f"components-{index}-site": str(site.pk),
                f"components-{index}-public_name": "",
                f"components-{index}-group": "",
                f"components-{index}-position": str(index),
            }
        )
    return {**data, **rows, "components-TOTAL_FORMS": str(len(sites))}


def form_errors(response: Any) -> dict[str, Any]:
    return dict(response.context["adminform"].form.errors)


@pytest.fixture
def signed_in(client: HttpClient, owner: StaffUser) -> HttpClient:
    client.force_login(owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # messages are asserted in English
    return client


@pytest.fixture
def mine(agency: Agency) -> Client:
    return client_with_sites(agency, "boulangerie")


@pytest.fixture
def theirs(make_agency: Callable[..., Agency]) -> Client:
    return client_with_sites(make_agency("other", "Other agency"), "rival")


def test_add_a_page_with_a_password_and_components(signed_in: HttpClient, mine: Client) -> None:
    www, shop = Site.objects.filter(client=mine).order_by("key").reverse()
    data = with_components(page_form(mine, visibility="password", password=SECRET), shop, www)

    response = signed_in.post(f"{PAGES}add/", data)

    assert response.status_code == 302, form_errors(response)
    page = StatusPage.objects.get(client=mine)
    assert page.agency == mine.agency and page.check_password(SECRET)
    assert SECRET not in page.password_hash
    shown = StatusComponent.objects.filter(page=page).order_by("position")
    assert [component.site_id for component in shown] == [shop.pk, www.pk]
    change = signed_in.get(f"{PAGES}{page.pk}/change/").content.decode()
    assert SECRET not in change and page.password_hash not in change
    assert "A password is set" in change


def test_a_protected_page_needs_a_password_and_keeps_it_when_left_empty(
    signed_in: HttpClient, mine: Client
) -> None:
    refused = signed_in.post(f"{PAGES}add/", page_form(mine, visibility="password"))
    short = signed_in.post(f"{PAGES}add/", page_form(mine, visibility="password", password="1234567"))

    assert refused.status_code == 200 and "visibility" in form_errors(refused)
    assert short.status_code == 200 and "password" in form_errors(short)
    assert not StatusPage.objects.exists()

    signed_in.post(f"{PAGES}add/", page_form(mine, visibility="password", password=SECRET))
    page = StatusPage.objects.get(client=mine)
    stored = page.password_hash
    kept = signed_in.post(
        f"{PAGES}{page.pk}/change/", page_form(mine, visibility="password", title="Renamed")
    )
    assert kept.status_code == 302, form_errors(kept)
    page.refresh_from_db()
    assert page.title == "Renamed" and page.password_hash == stored


def test_a_client_whose_plan_has_no_page_is_refused(signed_in: HttpClient, agency: Agency) -> None:
    bakery = client_with_sites(agency, "fournil", plan="basic")

    response = signed_in.post(f"{PAGES}add/", page_form(bakery))

    assert response.status_code == 200
    assert "does not include a status page" in str(form_errors(response)["client"])
    assert not StatusPage.objects.exists()


def test_components_are_limited_to_the_clients_sites(
    signed_in: HttpClient, mine: Client, agency: Agency
) -> None:
    neighbour = client_with_sites(agency, "fleuriste")
    signed_in.post(f"{PAGES}add/", page_form(mine))
    page = StatusPage.objects.get(client=mine)
    foreign = Site.objects.filter(client=neighbour).first()
    assert foreign is not None

    form = signed_in.get(f"{PAGES}{page.pk}/change/").context["inline_admin_formsets"][0].formset.empty_form
    offered = set(form.fields["site"].queryset.values_list("client_id", flat=True))
    refused = signed_in.post(f"{PAGES}{page.pk}/change/", with_components(page_form(mine), foreign))
    new_page = signed_in.post(
        f"{PAGES}add/", with_components(page_form(neighbour), *Site.objects.filter(client=mine))
    )

    assert offered == {mine.pk}
    assert refused.status_code == 200 and not StatusComponent.objects.exists()
    assert new_page.status_code == 200
    assert "belongs to another client" in new_page.content.decode()
    assert not StatusPage.objects.filter(client=neighbour).exists()


def test_a_new_custom_domain_must_be_verified_again(signed_in: HttpClient, mine: Client) -> None:
    signed_in.post(f"{PAGES}add/", page_form(mine, custom_domain="status.boulangerie.example"))
    page = StatusPage.objects.get(client=mine)
    StatusPage.objects.filter(pk=page.pk).update(domain_verified_at=timezone.now())
    page.refresh_from_db()
    token, version = page.domain_token, page.state_version

    same = signed_in.post(
        f"{PAGES}{page.pk}/change/", page_form(mine, custom_domain="Status.Boulangerie.example")
    )
    page.refresh_from_db()
    assert same.status_code == 302 and page.domain_verified and page.domain_token == token
    assert page.state_version > version

    signed_in.post(f"{PAGES}{page.pk}/change/", page_form(mine, custom_domain="etat.boulangerie.example"))
    page.refresh_from_db()
    assert page.custom_domain == "etat.boulangerie.example"
    assert page.domain_verified_at is None and page.domain_token != token


def test_another_agencys_pages_and_subscribers_stay_unseen(
    signed_in: HttpClient, mine: Client, theirs: Client
) -> None:
    StatusPage.objects.create(client=mine, slug="boulangerie", title="Mine status")
    their_page = StatusPage.objects.create(client=theirs, slug="rival", title="Rival status")
    Subscription.objects.create(page=their_page, email="reader@rival.example")

    for url in (PAGES, "/admin/statuspages/subscription/", "/admin/incidents/incidentupdate/"):
        listing = signed_in.get(url)
        assert listing.status_code == 200, url
        assert b"rival" not in listing.content.lower(), url
    assert b"Mine status" in signed_in.get(PAGES).content
    assert signed_in.get(f"{PAGES}{their_page.pk}/change/").status_code == 302  # "no such object"
    signed_in.post(f"{PAGES}{their_page.pk}/change/", page_form(theirs, title="Taken over"))
    signed_in.post(f"{PAGES}{their_page.pk}/delete/", {"post": "yes"})
    their_page.refresh_from_db()
    assert their_page.title == "Rival status"
    add = signed_in.get(f"{PAGES}add/").context["adminform"].form
    assert theirs.pk not in set(add.fields["client"].queryset.values_list("pk", flat=True))
    assert signed_in.post(f"{PAGES}add/", page_form(theirs)).status_code == 200
    assert StatusPage.objects.filter(client=theirs).count() == 1


def test_subscribers_and_public_updates_are_read_only_lists(signed_in: HttpClient, mine: Client) -> None:
    page = StatusPage.objects.create(client=mine, slug="boulangerie", title="Status")
    subscriber = Subscription.objects.create(page=page, email="lecteur@example.com")
    site = Site.objects.filter(client=mine).first()
    assert site is not None
    monitor = Monitor.objects.create(site=site, key="home", url=site.url)
    failed = timezone.now() - timedelta(minutes=10)
    incident = Incident.objects.create(
        monitor=monitor, first_failed_at=failed, confirmed_at=failed, cause_error_class="timeout"
    )
    update = post_update(incident, "investigating", "Nous regardons.", by_label="owner@atelier.example")

    subscribers = signed_in.get("/admin/statuspages/subscription/").content.decode()
    updates = signed_in.get("/admin/incidents/incidentupdate/").content.decode()

    assert "lecteur@example.com" in subscribers and subscriber.token not in subscribers
    assert "owner@atelier.example" in updates
    assert signed_in.get("/admin/statuspages/subscription/add/").status_code == 403
    assert signed_in.get("/admin/incidents/incidentupdate/add/").status_code == 403
    detail = signed_in.get(f"/admin/statuspages/subscription/{subscriber.pk}/change/")
    assert detail.status_code == 200 and subscriber.token not in detail.content.decode()
    signed_in.post(f"/admin/incidents/incidentupdate/{update.pk}/change/", {"message": "Rewritten"})
    update.refresh_from_db()
    assert update.message == "Nous regardons."


def test_members_read_pages_but_do_not_change_them(client: HttpClient, agency: Agency, mine: Client) -> None:
    member = StaffUser.objects.create_user(
        email="m@atelier.example", agency=agency, password="x" * 12, role="member"
    )
    page = StatusPage.objects.create(client=mine, slug="boulangerie", title="Status")
    client.force_login(member)

    assert client.get(PAGES).status_code == 200
    assert client.get(f"{PAGES}{page.pk}/change/").status_code == 200  # the read-only view
    assert client.get(f"{PAGES}add/").status_code == 403
    client.post(f"{PAGES}{page.pk}/change/", page_form(mine, title="Changed by a member"))
    page.refresh_from_db()
    assert page.title == "Status"
    assert b"Status pages" in client.get("/admin/").content


def test_admin_deletes_a_page_with_its_components(signed_in: HttpClient, mine: Client) -> None:
    page = StatusPage.objects.create(client=mine, slug="boulangerie", title="Status")
    site = Site.objects.filter(client=mine).first()
    StatusComponent.objects.create(page=page, site=site)

    response = signed_in.post(f"{PAGES}{page.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not StatusPage.objects.exists() and not StatusComponent.objects.exists()
    assert IncidentUpdate.objects.count() == 0


@pytest.fixture
def dns_server(settings: Any) -> Iterator[DnsServer]:
    server = DnsServer()
    server.start()
    settings.VEILLEUR_DNS_SERVER = ("127.0.0.1", server.port)
    settings.VEILLEUR_STATUS_HOST = "status.agency.example"
    yield server
    server.stop()


def test_the_verify_action_checks_dns_and_says_what_it_found(
    signed_in: HttpClient, mine: Client, agency: Agency, dns_server: DnsServer
) -> None:
    proved = StatusPage.objects.create(
        client=mine, slug="boulangerie", title="Status", custom_domain="status.boulangerie.example"
    )
    other = client_with_sites(agency, "fleuriste")
    pending = StatusPage.objects.create(
        client=other, slug="fleuriste", title="Status", custom_domain="status.fleuriste.example"
    )
    dns_server.set_txt("_veilleur.status.boulangerie.example", f"veilleur-verify={proved.domain_token}")

    response = signed_in.post(
        PAGES,
        {"action": "verify_domains", "_selected_action": [str(proved.pk), str(pending.pk)]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    shown = [str(message) for message in response.context["messages"]]
    assert any(m.startswith("status.boulangerie.example is verified") for m in shown)
    assert any("status.fleuriste.example does not exist in DNS" in m for m in shown)
    proved.refresh_from_db()
    pending.refresh_from_db()
    assert proved.domain_verified and not pending.domain_verified
