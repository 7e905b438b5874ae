"""Fixtures of the API tests: a token, a JSON client that sends it, and a small world of rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, time
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client as HttpClient

from veilleur.accounts.models import Agency, ApiToken
from veilleur.clients.models import Client, Contact, MaintenanceTask, MaintenanceWindow, Site
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan

if TYPE_CHECKING:
    # The test client's responses, with .json(); the name exists only in the type stubs.
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

BASE = "/api/v1"


class Api:
    """Sends JSON to the API with a bearer token, and decodes JSON answers."""

    def __init__(self, token: str | None) -> None:
        self.http = HttpClient()
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Response:
        return self.http.get(BASE + path, params or {}, headers=self._headers())

    def send(self, method: str, path: str, body: Any = None, raw: bytes | str | None = None) -> Response:
        data = raw if raw is not None else json.dumps(body)
        return self.http.generic(
            method, BASE + path, data=data, content_type="application/json", headers=self._headers()
        )

    def post(self, path: str, body: Any = None, raw: bytes | str | None = None) -> Response:
        return self.send("POST", path, body, raw)

    def patch(self, path: str, body: Any = None, raw: bytes | str | None = None) -> Response:
        return self.send("PATCH", path, body, raw)

    def delete(self, path: str) -> Response:
        return self.http.delete(BASE + path, headers=self._headers())


def issue_token(agency: Agency, name: str = "tests") -> str:
    return ApiToken.issue(agency, name)[1]


@pytest.fixture
def token(agency: Agency) -> str:
    return issue_token(agency)


@pytest.fixture
def api(token: str) -> Api:
    return Api(token)


@dataclass
class World:
    """One of each row under an agency, for tests that need things to point at."""

    agency: Agency
    plan: Plan
    client: Client
    site: Site
    monitor: Monitor
    contact: Contact
    window: MaintenanceWindow
    task: MaintenanceTask


def build_world(agency: Agency, prefix: str = "acme") -> World:
    plan = Plan.objects.get(agency=agency, key="standard")
    client = Client.objects.create(agency=agency, key=prefix, name=f"{prefix.title()} SARL", plan=plan)
    site = Site.objects.create(client=client, key="www", name="Main site", url=f"https://{prefix}.example")
    monitor = Monitor.objects.create(site=site, key="home", url=f"https://{prefix}.example/")
    contact = Contact.objects.create(client=client, email=f"boss@{prefix}.example", name="Boss")
    window = MaintenanceWindow.objects.create(
        client=client,
        key="weekly",
        title="Weekly updates",
        start_date=date(2026, 3, 10),
        start_time=time(22, 0),
        duration_minutes=60,
        rrule="FREQ=WEEKLY;BYDAY=TU",
    )
    window.sites.set([site])
    task = MaintenanceTask.objects.create(
        client=client, site=site, date=date(2026, 3, 11), category="cms_core", description="WordPress 6.9"
    )
    return World(agency, plan, client, site, monitor, contact, window, task)


@pytest.fixture
def world(agency: Agency) -> World:
    return build_world(agency)
