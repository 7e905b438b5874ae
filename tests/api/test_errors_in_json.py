"""Every error of the API answers in its JSON format, including those made around its views (a
body too large, a path or method it does not have), and the OpenAPI document lists them."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from tests.api.conftest import BASE, Api, World


def assert_api_error(response: object, status: int, words: str) -> dict[str, object]:
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/json; charset=utf-8"  # type: ignore[index]
    body = json.loads(response.content)  # type: ignore[attr-defined]
    assert set(body) == {"error", "fields"} and words in body["error"], body
    return body


def test_a_body_too_large_answers_json(api: Api, world: World) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"key": "big", "name": "x" * (limit + 1), "plan_id": world.plan.pk})
    response = api.post("/clients", raw=body)
    message = f"at most {limit:,} bytes".replace(",", " ")
    assert_api_error(response, 400, f"The request body is too large: {message}.")
    assert_api_error(api.patch(f"/clients/{world.client.pk}", raw=body), 400, "too large")


@pytest.mark.parametrize("raw", ["{", '{"key": }', "\x00", "[1, 2"])
def test_malformed_json_answers_json(api: Api, world: World, raw: str) -> None:
    assert_api_error(api.post("/sites", raw=raw), 400, "The request body is not valid JSON")


def test_an_unknown_path_answers_json(api: Api) -> None:
    assert_api_error(api.get("/no-such-thing"), 404, "no such path")
    assert_api_error(api.get("/clients/not-a-number/deeper"), 404, "no such path")


def test_a_method_not_offered_answers_json(api: Api, world: World) -> None:
    response = api.send("PUT", "/clients", {"key": "x"})
    assert_api_error(response, 405, "Method PUT is not allowed here (allowed: GET, POST)")
    assert response["Allow"] == "GET, POST"
    assert_api_error(api.send("POST", f"/plans/{world.plan.pk}", {}), 405, "not allowed")


def test_without_a_token_the_answer_is_json(db: None) -> None:
    response = HttpClient().get(f"{BASE}/clients")
    assert_api_error(response, 401, "Authentication required")
    assert response["WWW-Authenticate"] == 'Bearer realm="veilleur"'


@pytest.mark.django_db
def test_the_document_lists_the_errors_each_operation_gives() -> None:
    document = json.loads(HttpClient().get(f"{BASE}/openapi.json").content)
    paths = document["paths"]

    def statuses(path: str, method: str) -> set[str]:
        return set(paths[f"{BASE}{path}"][method]["responses"])

    assert statuses("/clients", "get") == {"200", "400", "401", "422"}
    assert statuses("/clients", "post") == {"201", "400", "401", "409", "422"}
    assert statuses("/clients/{id}", "get") == {"200", "401", "404", "422"}
    assert statuses("/clients/{id}", "patch") == {"200", "400", "401", "404", "409", "422"}
    assert statuses("/clients/{id}", "delete") == {"204", "401", "404", "422"}
    assert statuses("/incidents/{id}/ack", "post") == {"200", "401", "404", "409", "422"}
    assert "503" in statuses("/monitors/{id}/results", "get")
    error = paths[f"{BASE}/clients/{{id}}"]["get"]["responses"]["404"]
    assert error["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert document["components"]["schemas"]["Error"]["required"] == ["error", "fields"]
