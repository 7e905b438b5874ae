"""The monthly report's certificate section: facts of the client's month only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.dashboard.conftest import add_site
from veilleur.accounts.models import Agency
from veilleur.certificates.models import CertificateChange, CertificateTarget
from veilleur.clients.models import Site
from veilleur.reports.data import monthly_report
from veilleur.reports.render import render_html

OCTOBER_END = datetime(2026, 10, 31, 23, tzinfo=UTC)  # Paris: 1 November, midnight


def _target(site: Site) -> CertificateTarget:
    return CertificateTarget.objects.create(agency=site.agency, site=site, host="shop.example", port=443)


def _seen(
    target: CertificateTarget, at: datetime, kind: str, not_after: datetime, issuer: str = "R11"
) -> None:
    CertificateChange.objects.create(
        agency=target.agency,
        target=target,
        seen_at=at,
        kind=kind,
        fingerprint_sha256=f"{at:%d%H}" * 16,
        issuer=f"CN={issuer}",
        issuer_cn=issuer,
        not_before=at - timedelta(days=1),
        not_after=not_after,
    )


def test_a_renewal_in_the_month_and_an_expiry_within_30_days(agency: Agency) -> None:
    monitor = add_site(agency, "shop", plan="premium")
    client = monitor.site.client
    client.language = "en"
    client.save()
    target = _target(monitor.site)
    _seen(target, datetime(2026, 8, 1, tzinfo=UTC), "first", datetime(2026, 10, 30, tzinfo=UTC))
    _seen(target, datetime(2026, 10, 2, 8, tzinfo=UTC), "renewed", datetime(2026, 11, 20, tzinfo=UTC))
    _seen(target, datetime(2026, 11, 3, tzinfo=UTC), "renewed", datetime(2027, 2, 1, tzinfo=UTC))  # later
    report = monthly_report(client, 2026, 10, now=datetime(2026, 12, 1, tzinfo=UTC))
    (line,) = report.certificates
    assert line.valid_until == datetime(2026, 11, 20, tzinfo=UTC)  # what was served at the month's end
    assert line.expires_soon and not line.expired
    assert [renewal.seen_at.day for renewal in line.renewals] == [2]
    html = render_html(report)
    assert "Security certificates" in html and "renewed on" in html
    assert (
        "expires within 30 days of the month&#x27;s end" in html
        or "expires within 30 days of the month's end" in html
    )
    # September: the August certificate, nothing renewed, more than 30 days left at the end.
    september = monthly_report(client, 2026, 9, now=datetime(2026, 12, 1, tzinfo=UTC))
    (line,) = september.certificates
    assert line.renewals == () and line.expires_soon is True  # 30 October is within 30 days of 1 October
    july = monthly_report(client, 2026, 7, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert july.certificates == ()  # watching began in August: nothing to say about July


def test_no_section_for_a_plan_without_certificate_monitoring(agency: Agency) -> None:
    monitor = add_site(agency, "plain", plan="standard")
    target = _target(monitor.site)
    _seen(target, datetime(2026, 10, 2, tzinfo=UTC), "first", datetime(2026, 11, 20, tzinfo=UTC))
    report = monthly_report(monitor.site.client, 2026, 10, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert report.certificates == ()
    assert "Security certificates" not in render_html(report, "en")
