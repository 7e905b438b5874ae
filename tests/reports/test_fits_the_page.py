"""Every demo report, in French and in English, keeps its text inside the page's margins, long
client and site names included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.reports.layout import overflows
from veilleur.clients.models import Client, Site
from veilleur.demo.command import run_demo
from veilleur.reports.data import monthly_report
from veilleur.reports.render import render_html

NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
LONG_CLIENT = "Établissements Beauregard-Villeneuve & Associés, négociants en vins fins depuis 1887"
LONG_SITE = "Boutique en ligne internationale des grands crus de Bourgogne et du Beaujolais"
LONG_WORD = "Réservationsenlignepourlesdégustationsprivéesetlesvisitesdecave"


def demo_reports() -> list[tuple[str, str]]:
    """(name, HTML) of every demo client's reports in both languages."""
    run_demo(days=40, seed=7, now=NOW, out=lambda line: None)
    long_named = Client.objects.get(key="maison-rousseau")
    long_named.name = LONG_CLIENT
    long_named.save()
    sites = list(Site.objects.filter(client=long_named).order_by("id"))
    sites[0].name = LONG_SITE
    sites[0].save()
    if len(sites) > 1:
        sites[1].name = LONG_WORD
        sites[1].save()
    rendered = []
    for client in Client.objects.order_by("key"):
        # October is over at NOW; November is the month in progress (its partial label, no credit).
        for month in (10, 11):
            report = monthly_report(client, 2026, month, NOW)
            for language in ("fr", "en"):
                rendered.append((f"{client.key}-{month}-{language}", render_html(report, language)))
    return rendered


@pytest.mark.django_db
def test_every_demo_report_fits_the_page() -> None:
    reports = demo_reports()
    assert len(reports) >= 12
    problems = {name: overflows(html) for name, html in reports}
    assert {name: found[:5] for name, found in problems.items() if found} == {}
