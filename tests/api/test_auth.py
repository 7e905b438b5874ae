"""Bearer tokens: who gets in, who gets a 401, and the last-used timestamp."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.conftest import Api, issue_token
from veilleur.accounts.models import Agency, ApiToken


def assert_unauthorized(api: Api) -> str:
    response = api.get("/clients")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["error"]
    assert body["fields"] == {}
    return str(body["error"])


@pytest.mark.django_db
def test_missing_token_is_refused() -> None:
    assert "Authorization" in assert_unauthorized(Api(None))


def test_wrong_scheme_is_refused(agency: Agency, token: str) -> None:
    api = Api(None)
    api.http.defaults["HTTP_AUTHORIZATION"] = f"Token {token}"
    assert "scheme" in assert_unauthorized(api)


@pytest.mark.parametrize(
    "wrong",
    ["vlr_deadbeef_nope", "not-a-token", "vlr_", "vlr_\x00_x", "vlr_zz_" + "a" * 5000, "ü"],
)
def test_wrong_token_is_refused(agency: Agency, token: str, wrong: str) -> None:
    assert "Invalid" in assert_unauthorized(Api(wrong))


def test_token_with_right_prefix_but_wrong_secret_is_refused(token: str) -> None:
    assert_unauthorized(Api(token[:-4] + "AAAA"))


def test_revoked_token_is_refused(agency: Agency, token: str) -> None:
    assert Api(token).get("/clients").status_code == 200
    ApiToken.objects.filter(agency=agency).update(revoked_at=timezone.now())
    assert_unauthorized(Api(token))


def test_valid_token_records_last_use(agency: Agency, token: str) -> None:
    assert ApiToken.objects.get(agency=agency).last_used_at is None
    assert Api(token).get("/clients").status_code == 200
    assert ApiToken.objects.get(agency=agency).last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(agency: Agency, token: str) -> None:
    api = Api(token)
    api.get("/plans")
    first = ApiToken.objects.get(agency=agency).last_used_at
    api.get("/plans")
    assert ApiToken.objects.get(agency=agency).last_used_at == first

    two_minutes_ago = timezone.now() - timedelta(minutes=2)
    ApiToken.objects.filter(agency=agency).update(last_used_at=two_minutes_ago)
    api.get("/plans")
    later = ApiToken.objects.get(agency=agency).last_used_at
    assert later is not None and later > two_minutes_ago


def test_a_recently_used_token_costs_no_write(token: str) -> None:
    api = Api(token)
    api.get("/plans")
    with CaptureQueriesContext(connection) as queries:
        api.get("/plans")
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


def test_each_token_sees_its_own_agency(make_agency: Callable[..., Agency], agency: Agency) -> None:
    other = make_agency("other", "Other agency")
    mine = {plan["id"] for plan in Api(issue_token(agency)).get("/plans").json()["items"]}
    theirs = {plan["id"] for plan in Api(issue_token(other)).get("/plans").json()["items"]}
    assert len(mine) == len(theirs) == 3
    assert not mine & theirs
