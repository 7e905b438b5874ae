"""The overview: states, filters, sorting, pagination, tenancy, and a constant query count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from tests.dashboard.conftest import add_site
from veilleur.accounts.models import Agency, StaffUser
from veilleur.domain.overview import SiteState


def states(page: object) -> dict[str, str]:
    return {row.site_name: row.state for row in page.context["page"].object_list}  # type: ignore[attr-defined]


def test_states_problems_first(signed_in: HttpClient, owner: StaffUser) -> None:
    agency = owner.agency
    add_site(agency, "alpha")
    add_site(agency, "bravo", down_since=timedelta(minutes=12))
    add_site(agency, "charlie", checked_ago=None)
    add_site(agency, "delta", paused=True)
    add_site(agency, "echo", checked_ago=timedelta(hours=2))
    page = signed_in.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    rows = page.context["page"].object_list
    assert [(row.site_name, row.state) for row in rows] == [
        ("Site bravo", SiteState.DOWN),
        ("Site charlie", SiteState.NO_DATA),
        ("Site echo", SiteState.NO_DATA),
        ("Site delta", SiteState.PAUSED),
        ("Site alpha", SiteState.UP),
    ]
    html = page.content.decode()
    assert 'hx-get="/overview/rows"' in html and "every 15s" in html
    assert "left" in html  # the response clock of bravo's open incident
