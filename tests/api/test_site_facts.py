"""GET /sites/{id}/domain and /sites/{id}/software: what the worker last saw, for the agency's
own sites only; and the plan's fields for them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import Api, World, build_world
from veilleur.accounts.models import Agency
from veilleur.cms.models import SoftwareChange, SoftwareCheck
from veilleur.domains.models import DomainRegistration
from veilleur.plans.models import Plan

pytestmark = pytest.mark.django_db


def premium(world: World) -> None:
    world.client.plan = Plan.objects.get(agency=world.agency, key="premium")
    world.client.save()


def test_the_domain_is_not_watched_without_ssl_monitoring(api: Api, world: World) -> None:
    body = api.get(f"/sites/{world.site.pk}/domain").json()
    assert (body["watched"], body["domain"], body["state"]) == (False, "acme.example", "not_watched")


def test_the_domain_registration_as_the_registry_gave_it(api: Api, world: World) -> None:
    premium(world)
    expires = (datetime.now(UTC) + timedelta(days=20, hours=1)).replace(microsecond=0)
    DomainRegistration.objects.create(
        domain="acme.example", state="found", expires_at=expires, registrar="Gandi SAS", checked_at=expires
    )
    body = api.get(f"/sites/{world.site.pk}/domain").json()
    assert body["state"] == "found"
    assert body["days_left"] == 20
    assert body["registrar"] == "Gandi SAS"
    assert datetime.fromisoformat(body["expires_at"]) == expires


def test_software_and_its_changes_newest_first(api: Api, world: World) -> None:
    premium(world)
    t0 = datetime(2026, 11, 3, 6, tzinfo=UTC)
    SoftwareCheck.objects.create(
        agency=world.agency,
        site=world.site,
        checked_at=t0 + timedelta(days=9),
        product="WordPress",
        version="6.9",
    )
    for when, before, after in ((t0, "", "6.8.1"), (t0 + timedelta(days=9), "6.8.1", "6.9")):
        SoftwareChange.objects.create(
            agency=world.agency,
            site=world.site,
            product="WordPress",
            version=after,
            previous_product="WordPress" if before else "",
            previous_version=before,
            detected_at=when,
            evidence="meta generator",
        )
    body = api.get(f"/sites/{world.site.pk}/software").json()
    assert (body["watched"], body["product"], body["version"]) == (True, "WordPress", "6.9")
    assert [change["version"] for change in body["changes"]] == ["6.9", "6.8.1"]


def test_software_is_not_watched_without_the_plan_flag(api: Api, world: World) -> None:
    body = api.get(f"/sites/{world.site.pk}/software").json()
    assert (body["watched"], body["product"], body["changes"]) == (False, "", [])


@pytest.mark.parametrize("what", ["domain", "software"])
def test_another_agencys_site_is_a_404(
    api: Api, world: World, make_agency: Callable[..., Agency], what: str
) -> None:
    theirs = build_world(make_agency("other", "Other agency"), prefix="rival")
    response = api.get(f"/sites/{theirs.site.pk}/{what}")
    assert response.status_code == 404
    assert "rival" not in response.content.decode()


def test_the_plan_fields_are_read_and_changed_with_their_checks(api: Api, world: World) -> None:
    path = f"/plans/{world.plan.pk}"
    body = api.get(path).json()
    assert (body["cms_versions"], body["domain_warning_days"]) == (False, [30, 14, 7])
    changed = api.patch(path, {"cms_versions": True, "domain_warning_days": [7, 60]})
    assert changed.status_code == 200, changed.content
    assert changed.json()["domain_warning_days"] == [7, 60]
    for bad in ([0], ["30"], [7, 7], "30", [True]):
        refused = api.patch(path, {"domain_warning_days": bad})
        assert refused.status_code == 422, (bad, refused.content)
        assert "domain_warning_days" in refused.json()["fields"]
    assert Plan.objects.get(pk=world.plan.pk).domain_warning_days == [7, 60]
