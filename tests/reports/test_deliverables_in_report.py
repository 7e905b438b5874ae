"""What the plan did: a sentence about a deliverable only with the fact that backs it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.reports.conftest import NOW
from veilleur.clients.models import Client, MaintenanceTask
from veilleur.reports.data import monthly_report
from veilleur.reports.render import render_html
from veilleur.statuspages.models import StatusPage


def text_of(client: Client) -> str:
    html = render_html(monthly_report(client, 2026, 10, NOW), "en")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.django_db
def test_a_plan_with_a_page_and_a_portal_but_neither_says_neither(client_with_history: Client) -> None:
    assert client_with_history.plan.status_page and client_with_history.plan.client_portal
    text = text_of(client_with_history)
    assert "status page" not in text
    assert "portal" not in text
    shown = MaintenanceTask.objects.filter(client=client_with_history, visible_to_client=True).count()
    assert f"{shown} maintenance tasks logged." in text


@pytest.mark.django_db
def test_a_page_made_during_the_month_is_mentioned_from_then(client_with_history: Client) -> None:
    page = StatusPage.objects.create(client=client_with_history, slug="boulangerie", title="Statut")
    StatusPage.objects.filter(pk=page.pk).update(created_at=datetime(2026, 10, 14, 9, tzinfo=UTC))
    assert "Your public status page has shown the state of your sites since 14 October 2026." in text_of(
        client_with_history
    )
    StatusPage.objects.filter(pk=page.pk).update(created_at=datetime(2026, 9, 1, tzinfo=UTC))
    assert "Your public status page showed the state of your sites all month." in text_of(client_with_history)
    StatusPage.objects.filter(pk=page.pk).update(created_at=datetime(2026, 11, 2, tzinfo=UTC))
    assert "status page" not in text_of(client_with_history)
