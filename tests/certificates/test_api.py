"""The API's view of certificates and of the plans' expiry thresholds."""

from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import Api, issue_token
from tests.certificates.conftest import audited_target
from tests.dashboard.conftest import add_site
from veilleur.accounts.models import Agency
from veilleur.plans.models import Plan


def test_a_sites_certificate_is_read_within_its_agency(agency: Agency, make_agency: object) -> None:
    monitor = add_site(agency, "shop", plan="premium")
    audited_target(
        monitor.site,
        left=timedelta(days=10, hours=1),
        findings=[{"code": "tls1_1_enabled", "severity": "warning", "params": {}}],
    )
    api = Api(issue_token(agency))
    answer = api.get(f"/sites/{monitor.site_id}/certificate")
    assert answer.status_code == 200
    body = answer.json()
    assert body["monitored"] is True
    (certificate,) = body["certificates"]
    assert certificate["days_left"] == 10 and certificate["expiry_level"] == "warning"
    assert certificate["key"] == "EC 256" and certificate["findings"][0]["code"] == "tls1_1_enabled"
    assert [change["kind"] for change in certificate["changes"]] == ["renewed"]
    rival = make_agency(key="rivale", name="Agence Rivale")  # type: ignore[operator]
    assert Api(issue_token(rival)).get(f"/sites/{monitor.site_id}/certificate").status_code == 404


def test_plan_thresholds_are_read_and_changed_with_validation(agency: Agency) -> None:
    api = Api(issue_token(agency))
    premium = Plan.objects.get(agency=agency, key="premium")
    read = api.get(f"/plans/{premium.pk}").json()
    assert read["certificate_warning_days"] == [30, 14, 7, 3, 1]
    assert read["certificate_lifetime_fraction"] == 0.3333
    changed = api.patch(
        f"/plans/{premium.pk}",
        {"certificate_warning_days": [21, 7], "certificate_lifetime_fraction": 0.25},
    )
    assert changed.status_code == 200, changed.content
    premium.refresh_from_db()
    assert (
        premium.certificate_warning_days == [21, 7] and str(premium.certificate_lifetime_fraction) == "0.2500"
    )
    for bad in (
        {"certificate_warning_days": [0]},
        {"certificate_warning_days": [7, 7]},
        {"certificate_lifetime_fraction": 2},
    ):
        answer = api.patch(f"/plans/{premium.pk}", bad)
        assert answer.status_code == 422 or answer.status_code == 400, answer.content
        assert next(iter(bad)) in answer.json()["fields"]
