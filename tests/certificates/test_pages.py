"""The certificate column of the overview and the section of the site page."""

from __future__ import annotations

import re
from datetime import timedelta

from django.test import Client as HttpClient
from django.urls import reverse

from tests.certificates.conftest import audited_target
from tests.dashboard.conftest import add_site
from tests.plan_form import plan_form
from veilleur.accounts.models import Agency, StaffUser


def test_the_overview_shows_days_left_coloured_by_the_plans_thresholds(
    agency: Agency, owner: StaffUser
) -> None:
    soon = add_site(agency, "soon", plan="premium")
    later = add_site(agency, "later", plan="premium")
    unwatched = add_site(agency, "basic", plan="basic")
    audited_target(soon.site, left=timedelta(days=5, hours=2))
    audited_target(later.site, left=timedelta(days=60, hours=2), lifetime=timedelta(days=397))
    audited_target(unwatched.site, left=timedelta(days=2))  # the plan does not include it
    browser = HttpClient(headers={"Accept-Language": "en"})
    browser.force_login(owner)
    page = browser.get(reverse("home"), {"sort": "certificate"}).content.decode()
    assert 'state-down" title="expires within a week">5 days left' in page
    assert 'state-up" title="valid">60 days left' in page
    assert "2 days left" not in page
    order = [name for name in re.findall(r">Site (\w+)</a>", page)]
    assert order == ["soon", "later", "basic"]


def test_the_site_page_shows_issuer_validity_findings_and_history(agency: Agency, owner: StaffUser) -> None:
    monitor = add_site(agency, "shop", plan="premium")
    audited_target(
        monitor.site,
        left=timedelta(days=20, hours=1),
        findings=[
            {"code": "tls1_0_enabled", "severity": "warning", "params": {}},
            {"code": "weak_key", "severity": "warning", "params": {"key": "RSA 1024", "leaf": "1"}},
        ],
    )
    for language, expected in (
        ("en", ["Certificates", "R11", "still accepts TLS 1.0", "weak key (RSA 1024)", "Renewed"]),
        ("fr", ["Certificats", "R11", "TLS 1.0", "RSA 1024", "Renouvelé"]),
    ):
        browser = HttpClient(headers={"Accept-Language": language})
        browser.force_login(owner)
        page = browser.get(reverse("site-detail", args=[monitor.site_id])).content.decode()
        for text in expected:
            assert text in page, (language, text)


def test_no_section_without_certificate_monitoring(agency: Agency, signed_in: HttpClient) -> None:
    monitor = add_site(agency, "plain", plan="standard")
    page = signed_in.get(reverse("site-detail", args=[monitor.site_id])).content.decode()
    assert 'id="certificates-title"' not in page


def test_the_portal_says_until_when_the_certificate_is_valid(agency: Agency) -> None:
    from tests.portal.conftest import make_client, make_user, signed_in

    premium = make_client(agency, "bakery", "Bakery", plan="premium")
    standard = make_client(agency, "florist", "Florist", plan="standard")
    target = audited_target(premium.site, left=timedelta(days=40, hours=3), lifetime=timedelta(days=397))
    audited_target(standard.site, left=timedelta(days=40, hours=3))
    browser = signed_in(make_user(premium.client, "anna@bakery.example"))
    page = browser.get(reverse("portal-site", args=[premium.site.pk])).content.decode()
    assert "Security certificate" in page
    assert f"{target.host}: valid until" in page and "(40 days left)" in page
    assert "due for renewal" not in page
    other = signed_in(make_user(standard.client, "bruno@florist.example"))
    page = other.get(reverse("portal-site", args=[standard.site.pk])).content.decode()
    assert "Security certificate" not in page  # not in this client's plan


def _plan_form(**changes: object) -> dict[str, object]:
    watch: dict[str, object] = {
        "key": "watch",
        "name": "Watch",
        "response_target_minutes": 60,
        "response_calendar": "business",
        "ssl_monitoring": "on",
        "certificate_warning_days": "21, 7, 2",
        "certificate_lifetime_fraction": "0.25",
        "domain_warning_days": "30, 14, 7",
    }
    return plan_form(**{**watch, **changes})


def test_the_plans_editor_sets_the_thresholds_and_names_a_bad_one(agency: Agency, owner: StaffUser) -> None:
    from veilleur.plans.models import Plan

    browser = HttpClient(headers={"Accept-Language": "en"})
    browser.force_login(owner)
    for bad, message in (
        ({"certificate_warning_days": "30, soon"}, "is not a list of whole numbers of days"),
        ({"certificate_warning_days": "7, 7"}, "a number of days is listed twice"),
        ({"certificate_lifetime_fraction": "1.5"}, "less than or equal to 0.9"),
    ):
        answer = browser.post(reverse("plan-new"), _plan_form(**bad))
        assert answer.status_code == 400 and message in answer.content.decode(), message
    assert not Plan.objects.filter(agency=agency, key="watch").exists()
    answer = browser.post(reverse("plan-new"), _plan_form())
    assert answer.status_code == 302
    plan = Plan.objects.get(agency=agency, key="watch")
    assert plan.certificate_warning_days == [21, 7, 2] and str(plan.certificate_lifetime_fraction) == "0.2500"
    page = browser.get(reverse("plan-edit", args=[plan.pk])).content.decode()
    assert 'value="21, 7, 2"' in page


def test_every_finding_has_words_in_both_languages() -> None:
    from django.utils import translation

    from veilleur.certificates.wording import finding_in_words
    from veilleur.probes.tls_audit import FINDING_CODES

    params = {"host": "h", "reason": "r", "issuer": "i", "key": "k", "hash": "SHA1", "version": "TLS 1.0"}
    for language in ("en", "fr"):
        with translation.override(language):
            words = {code: finding_in_words(code, params) for code in FINDING_CODES}
        assert all(text != code and "%(" not in text for code, text in words.items()), words
    with translation.override("fr"):
        assert "TLS 1.0" in finding_in_words("tls1_0_enabled", {}) and "accepte encore" in finding_in_words(
            "tls1_0_enabled", {}
        )
