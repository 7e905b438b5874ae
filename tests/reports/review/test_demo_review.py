"""The demo's Premium client has a quarter to review, and its review keeps inside the page in both
languages, long client and site names included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.reports.layout import overflows
from tests.reports.test_fits_the_page import LONG_CLIENT, LONG_SITE, LONG_WORD
from veilleur.clients.models import Client, Site
from veilleur.demo.command import run_demo
from veilleur.reports.review import quarterly_review
from veilleur.reports.review_render import render_html

NOW = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_the_demo_review_fits_the_page() -> None:
    run_demo(days=100, seed=7, now=NOW, out=lambda line: None)
    client = Client.objects.select_related("plan", "agency").get(key="maison-rousseau")
    assert client.plan.quarterly_review
    client.name = LONG_CLIENT
    client.save()
    sites = list(Site.objects.filter(client=client).order_by("id"))
    sites[0].name = LONG_SITE
    sites[0].save()
    if len(sites) > 1:
        sites[1].name = LONG_WORD
        sites[1].save()
    review = quarterly_review(client, 2026, 4, NOW)
    assert review.figures.has_data and not review.in_progress
    for language in ("fr", "en"):
        assert overflows(render_html(review, language=language)) == [], language
