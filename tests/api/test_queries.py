"""A page of any list costs the same number of queries whether it holds one row or many."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import Api, World, build_world
from veilleur.accounts.models import Agency

LISTS = [
    "/plans",
    "/clients",
    "/sites",
    "/monitors",
    "/contacts",
    "/maintenance-windows",
    "/maintenance-tasks",
]


def queries_for(api: Api, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path, {"limit": 200})
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("path", LISTS)
def test_list_queries_do_not_grow_with_rows(api: Api, agency: Agency, world: World, path: str) -> None:
    api.get("/plans")  # the token's last-use write happens on the first request only
    one = queries_for(api, path)
    for n in range(10):
        build_world(agency, prefix=f"extra{n}")
    assert queries_for(api, path) == one
