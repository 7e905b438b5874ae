"""Degraded performance through the API: the plan's and the site's thresholds, and incidents by kind."""

from __future__ import annotations

from django.utils import timezone

from tests.api.conftest import Api, World
from veilleur.incidents.models import Incident
from veilleur.plans.models import Plan


def test_plan_thresholds_are_read_and_changed(api: Api, world: World) -> None:
    premium = Plan.objects.get(agency=world.agency, key="premium")
    read = api.get(f"/plans/{premium.pk}").json()
    assert (read["degraded_above_ms"], read["degraded_after_checks"], read["degraded_baseline_factor"]) == (
        premium.degraded_above_ms,
        premium.degraded_after_checks,
        float(premium.degraded_baseline_factor),
    )
    changed = api.patch(
        f"/plans/{premium.pk}",
        {"degraded_above_ms": 2500, "degraded_after_checks": 5, "degraded_baseline_factor": 1.5},
    )
    assert changed.status_code == 200, changed.content
    premium.refresh_from_db()
    assert (premium.degraded_above_ms, premium.degraded_after_checks) == (2500, 5)
    assert str(premium.degraded_baseline_factor) == "1.50"
    for field, bad in (
        ("degraded_above_ms", 50),
        ("degraded_after_checks", 0),
        ("degraded_baseline_factor", 1),
    ):
        refused = api.patch(f"/plans/{premium.pk}", {field: bad})
        assert refused.status_code == 422 and field in refused.json()["fields"], refused.content
    premium.refresh_from_db()
    assert premium.degraded_above_ms == 2500  # nothing written by the refused changes


def test_a_site_sets_its_own_threshold_or_follows_the_plan(api: Api, world: World) -> None:
    assert api.get(f"/sites/{world.site.pk}").json()["degraded_above_ms"] is None
    own = api.patch(f"/sites/{world.site.pk}", {"degraded_above_ms": 900})
    assert own.status_code == 200 and own.json()["degraded_above_ms"] == 900
    back = api.patch(f"/sites/{world.site.pk}", {"degraded_above_ms": None})
    assert back.status_code == 200 and back.json()["degraded_above_ms"] is None
    assert api.patch(f"/sites/{world.site.pk}", {"name": None}).status_code == 422  # others stay required


def test_incidents_are_filtered_by_kind(api: Api, world: World) -> None:
    now = timezone.now()
    fields = {"monitor": world.monitor, "first_failed_at": now, "confirmed_at": now}
    slow = Incident.objects.create(kind=Incident.Kind.DEGRADED, cause_error_class="slow", **fields)
    down = Incident.objects.create(kind=Incident.Kind.DOWN, cause_error_class="timeout", **fields)
    ids = {
        kind: [row["id"] for row in api.get("/incidents", {"kind": kind}).json()["items"]]
        for kind in ("down", "degraded")
    }
    assert ids == {"down": [down.pk], "degraded": [slow.pk]}
    assert len(api.get("/incidents").json()["items"]) == 2
    refused = api.get("/incidents", {"kind": "slow"})
    assert refused.status_code == 422 and "kind" in refused.content.decode()
    # A monitor slow and then down is down.
    state = api.get(f"/monitors/{world.monitor.pk}/state").json()
    assert state["open_incident_id"] == down.pk
