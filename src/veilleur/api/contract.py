"""The error answers of the OpenAPI document: what each operation really answers besides success.

Ninja documents the success answers declared on each view; the errors come from the handlers in
``errors.py`` and follow from an operation's shape, so they are added here from that shape, in
one place, for the document to say exactly what the API answers:

- 401 everywhere: every operation needs a token;
- 400 for a body that is not JSON (or too large), and for a malformed ``cursor``;
- 404 for an ``{id}`` that is not one of the agency's;
- 409 for every write that saves a row (a key already used, or two requests racing for it);
- 422 for a parameter or body field that is missing, unknown, of the wrong type or invalid;
- 503 for check results read while they were being compacted.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "What is wrong, in one sentence."},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Each offending field and its message; empty when no field is at fault.",
        },
    },
    "required": ["error", "fields"],
}
DESCRIPTIONS = {
    400: "The body is not valid JSON or is too large, or the cursor is not one this API handed out.",
    401: "Missing, unknown or revoked token.",
    404: "No such object in the token's agency.",
    409: "Conflict with an existing row (a key or address already used); nothing was saved.",
    422: "A parameter or field is missing, unknown, of the wrong type or invalid.",
    503: "Results were being compacted while read; try again.",
}
RETRIED_PATHS = ("/results", "/rollups")


def error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation answers, from its path, method and parameters."""
    parameters = {parameter.get("name") for parameter in operation.get("parameters", [])}
    has_body = "requestBody" in operation
    statuses = [401]
    if has_body or "cursor" in parameters:
        statuses.append(400)
    if "{" in path:
        statuses.append(404)
    if method in ("post", "patch") and not path.endswith("/verify-domain"):
        statuses.append(409)
    if parameters or has_body:
        statuses.append(422)
    if path.endswith(RETRIED_PATHS):
        statuses.append(503)
    return sorted(statuses)


def add_error_responses(schema: OpenAPISchema) -> OpenAPISchema:
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in error_statuses(path, method, operation):
                responses.setdefault(
                    str(status),
                    {
                        "description": DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return schema


class DocumentedErrorsApi(NinjaAPI):
    """A NinjaAPI whose OpenAPI document lists the error answers too."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        return add_error_responses(
            super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        )
