"""Garbage in: whatever JSON a client sends, the answer is never a server error."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api, World

FIELDS = {
    "/clients": ["key", "name", "plan_id", "plan_key", "language", "time_zone", "logo_url", "primary_color"],
    "/sites": ["client_id", "key", "name", "url", "apdex_threshold_ms"],
    "/monitors": [
        "site_id",
        "key",
        "url",
        "method",
        "request_headers",
        "expected_status",
        "timeout_seconds",
        "interval_seconds",
        "paused",
    ],
    "/contacts": ["client_id", "email", "name", "receives_reports"],
    "/maintenance-windows": ["client_id", "key", "title", "start", "duration_minutes", "rrule", "site_ids"],
    "/maintenance-tasks": ["client_id", "site_id", "date", "category", "description", "visible_to_client"],
}

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(
        ["", "1", "2026-01-01", "2026-01-01 10:00", "https://x.example", "#abcdef", "FREQ=DAILY"]
    )
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
)


def body_for(path: str) -> st.SearchStrategy[dict[str, Any]]:
    """Objects whose keys are mostly the resource's own fields, so the values reach deep checks."""
    keys = st.sampled_from(FIELDS[path]) | st.text(max_size=8)
    return st.dictionaries(keys, json_values | st.integers(min_value=1, max_value=5), max_size=8)


GARBAGE = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_client_error_or_success(response: Any) -> None:
    assert response.status_code < 500, response.content
    if response.status_code >= 400 and response.status_code != 405:
        body = response.json()
        assert isinstance(body["error"], str) and body["error"]
        assert isinstance(body["fields"], dict)


@GARBAGE
@given(data=st.data())
def test_create_never_answers_a_server_error(api: Api, world: World, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(sorted(FIELDS)))
    body = data.draw(body_for(path) | json_values)
    assert_client_error_or_success(api.post(path, raw=json.dumps(body)))


@GARBAGE
@given(data=st.data())
def test_patch_never_answers_a_server_error(api: Api, world: World, data: st.DataObject) -> None:
    targets = {
        "/clients": world.client.pk,
        "/sites": world.site.pk,
        "/monitors": world.monitor.pk,
        "/contacts": world.contact.pk,
        "/maintenance-windows": world.window.pk,
        "/maintenance-tasks": world.task.pk,
    }
    path = data.draw(st.sampled_from(sorted(targets)))
    body = data.draw(body_for(path) | json_values)
    assert_client_error_or_success(api.patch(f"{path}/{targets[path]}", raw=json.dumps(body)))


@GARBAGE
@given(raw=st.binary(max_size=64) | st.text(max_size=64).map(str.encode))
def test_raw_bytes_never_answer_a_server_error(api: Api, world: World, raw: bytes) -> None:
    assert_client_error_or_success(api.post("/sites", raw=raw))


@GARBAGE
@given(
    params=st.dictionaries(
        st.sampled_from(["limit", "cursor", "client_id", "site_id", "date_from"]), st.text(max_size=20)
    )
)
def test_query_strings_never_answer_a_server_error(api: Api, world: World, params: dict[str, str]) -> None:
    assert_client_error_or_success(api.get("/maintenance-tasks", params))


MONITORING_PARAMS = [
    "limit",
    "cursor",
    "start",
    "end",
    "granularity",
    "zone",
    "open",
    "monitor_id",
    "site_id",
    "client_id",
]
# Text that reaches the deeper checks: instants of every shape, zones, granularities.
monitoring_values = st.text(max_size=40) | st.sampled_from(
    [
        "2026-03-02T10:00:00Z",
        "2026-03-02T10:00:00+01:00",
        "2026-03-02T10:00:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-12:00",
        "1970-01-01T00:00:00Z",
        "Europe/Paris",
        "Asia/Kathmandu",
        "day",
        "hour",
        "true",
        "1000",
        "MQ",
        "cjoxLjE",
        "dDoxLjE",
    ]
)


@GARBAGE
@given(data=st.data())
def test_monitoring_query_strings_never_answer_a_server_error(
    api: Api, world: World, data: st.DataObject
) -> None:
    monitor = world.monitor.pk
    path = data.draw(
        st.sampled_from(
            [
                "/monitors/states",
                f"/monitors/{monitor}/state",
                f"/monitors/{monitor}/results",
                f"/monitors/{monitor}/rollups",
                "/incidents",
                "/blips",
            ]
        )
    )
    params = data.draw(st.dictionaries(st.sampled_from(MONITORING_PARAMS), monitoring_values, max_size=6))
    assert_client_error_or_success(api.get(path, params))
