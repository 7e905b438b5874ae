"""Schemathesis over every operation of the OpenAPI document: generated requests, valid and
invalid, against the application in-process, with every check: no server error, no status the
document does not list, answers that match their schemas and content types."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import PositiveDataAcceptanceConfig

from tests.api.conftest import World
from veilleur.wsgi import application

load_all_checks()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
ALL_CHECKS = CHECKS.get_all()
# A request the schema allows may still be refused for what its values mean, which no JSON
# Schema says: an id of another agency or none (404), a key already used (409), a time zone
# that does not exist, a URL without a host or a window's start in the past (422), a cursor
# this API did not hand out (400). Each of these is a documented answer of the operation.
schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
    expected_statuses=["2xx", "400", "404", "409", "422"]
)


@pytest.fixture
def bearer(token: str, world: World) -> Iterator[dict[str, str]]:
    """A token of an agency that has one of each row, so that ids 1, 2, … often exist. The
    requests run inside the test's transaction: the end of each must not close its connection
    (Django's own test client does the same)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {token}"}
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(case: schemathesis.Case, bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=bearer, checks=ALL_CHECKS)
