"""The API's one error format, and the handlers that turn every failure of input into it.

Every error answers ``{"error": "<sentence>", "fields": {"<field>": "<message>"}}`` with a 4xx
status; ``fields`` is empty when the problem is not tied to one field.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from veilleur.outage import is_database_unavailable
from veilleur.unavailable import unavailable_response

log = logging.getLogger(__name__)

# Model field names as the API spells them: relations are sent and shown as ids.
API_FIELD_NAMES = {
    "plan": "plan_id",
    "client": "client_id",
    "site": "site_id",
    "sites": "site_ids",
    "start_date": "start",
    "start_time": "start",
}

# Where ninja puts a value in an error location, before the field name itself.
_LOCATION_PREFIXES = frozenset({"body", "payload", "query", "path", "header", "cookie", "form"})
_WHOLE_BODY_TYPES = frozenset({"missing", "model_type", "model_attributes_type", "dict_type"})
_UNIQUE_CODES = frozenset({"unique", "unique_together"})
_UNIQUE_SCOPES = frozenset({"agency", "client", "site"})


class ApiError(Exception):
    """An answer other than success, raised anywhere below a view."""

    def __init__(self, status: int, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = dict(fields or {})


def not_found(kind: str, object_id: int) -> ApiError:
    # The same answer whether the row does not exist or belongs to another agency.
    return ApiError(404, f"There is no {kind} with id {object_id}.")


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def field_error(field: str, message: str) -> ApiError:
    return ApiError(422, _sentence(f"Invalid value for {field}: {message}"), {field: message})


def _fields_sentence(fields: Mapping[str, str]) -> str:
    if len(fields) == 1:
        name, message = next(iter(fields.items()))
        return _sentence(f"Invalid value for {name}: {message}")
    return f"Invalid values for {len(fields)} fields: {', '.join(fields)}."


def _body(message: str, fields: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"error": message, "fields": dict(fields or {})}


def _pydantic_message(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "invalid value"))
    # Checks raise ValueError with a full sentence; pydantic prefixes it with "Value error, ".
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    return message[:1].lower() + message[1:]


def _field_of(location: Iterable[Any]) -> tuple[str | None, str]:
    """The top-level field an error location points at, and where inside it (for lists and maps)."""
    parts = [str(part) for part in location]
    while parts and parts[0] in _LOCATION_PREFIXES:
        parts.pop(0)
    if not parts:
        return None, ""
    inside = ".".join(parts[1:])
    return parts[0], inside


def fields_from_pydantic(errors: Iterable[Mapping[str, Any]]) -> tuple[dict[str, str], str | None]:
    """Per-field messages, plus a message for errors about the request body as a whole."""
    fields: dict[str, str] = {}
    whole_body: str | None = None
    for error in errors:
        field, inside = _field_of(error.get("loc", ()))
        if field is None:
            whole_body = (
                "The request body must be a JSON object."
                if error.get("type") in _WHOLE_BODY_TYPES
                else _pydantic_message(error)
            )
            continue
        message = _pydantic_message(error)
        if inside:
            message = f"{'item ' if inside.isdigit() else ''}{inside}: {message}"
        fields.setdefault(field, message)
    return fields, whole_body


def fields_from_django(exc: DjangoValidationError) -> tuple[dict[str, str], list[str]]:
    """Per-field messages under the API's field names, and the messages tied to no field."""
    # The API speaks English throughout (its own sentences and the domain checks do): Django's
    # messages are rendered in English too, so that one answer never mixes two languages.
    with translation.override("en"):
        return _django_messages(exc)


def _django_messages(exc: DjangoValidationError) -> tuple[dict[str, str], list[str]]:
    if not hasattr(exc, "error_dict"):
        return {}, [str(message) for message in exc.messages]
    fields: dict[str, str] = {}
    general: list[str] = []
    for name, errors in exc.error_dict.items():
        messages = [str(message) for error in errors for message in error.messages]
        if name == NON_FIELD_ERRORS:
            general.extend(messages)
        else:
            fields.setdefault(API_FIELD_NAMES.get(name, name), " ".join(messages))
    return fields, general


def unique_conflict(exc: DjangoValidationError) -> ApiError | None:
    """A 409 naming the field when the model refused a duplicate key, else None."""
    if not hasattr(exc, "error_dict"):
        return None
    for name, errors in exc.error_dict.items():
        for error in errors:
            if error.code not in _UNIQUE_CODES:
                continue
            params = error.params or {}
            check = params.get("unique_check") or (name,)
            field = next((f for f in check if f not in _UNIQUE_SCOPES), check[-1])
            api_name = API_FIELD_NAMES.get(field, field)
            scope = next((f" of this {f}" for f in check if f in ("client", "site")), "")
            with translation.override("en"):
                kind = str(params.get("model_name", "row")).lower()
            message = f"another {kind}{scope} already uses this {api_name}"
            return ApiError(409, f"Conflict: {message}.", {api_name: message})
    return None


def api_error_from_django(exc: DjangoValidationError) -> ApiError:
    conflict = unique_conflict(exc)
    if conflict is not None:
        return conflict
    fields, general = fields_from_django(exc)
    if general:
        return ApiError(422, " ".join(general), fields)
    return ApiError(422, _fields_sentence(fields), fields)


def _is_malformed_json(exc: HttpError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, ValueError | RecursionError)


def install_error_handlers(api: NinjaAPI) -> None:
    """Register one handler per kind of failure so that none of them leaks as a 500 or as HTML."""

    def respond(
        request: HttpRequest, status: int, message: str, fields: Mapping[str, str] | None = None
    ) -> HttpResponse:
        response = api.create_response(request, _body(message, fields), status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="veilleur"'
        return response

    @api.exception_handler(ApiError)
    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(request, exc.status, exc.message, exc.fields)

    @api.exception_handler(NinjaValidationError)
    def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields, whole_body = fields_from_pydantic(exc.errors)
        message = whole_body or _fields_sentence(fields)
        return respond(request, 422, message, fields)

    @api.exception_handler(AuthenticationError)
    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = exc.message if exc.message != "Unauthorized" else "Authentication required."
        return respond(request, 401, message)

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and _is_malformed_json(exc):
            cause = exc.__cause__
            detail = f": {cause}" if isinstance(cause, json.JSONDecodeError) else ""
            return respond(request, 400, f"The request body is not valid JSON{detail}.")
        return respond(request, exc.status_code, str(exc))

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, "Not found.")

    @api.exception_handler(DjangoValidationError)
    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return on_api_error(request, api_error_from_django(exc))

    @api.exception_handler(IntegrityError)
    def on_integrity(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # Reached only when two requests race past the uniqueness check made before saving.
        return respond(request, 409, "Conflict: the change clashes with an existing row; nothing was saved.")

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return respond(request, 400, too_big_message())

    @api.exception_handler(SuspiciousOperation)
    def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        return respond(request, 400, "The request was refused as malformed.")

    @api.exception_handler(Exception)
    def on_anything_else(request: HttpRequest, exc: Exception) -> HttpResponse:
        if is_database_unavailable(exc):
            # Not a bug: the database is away (stopped, restarting); the client may try again.
            return unavailable_response(request, exc)
        # A bug of ours: logged with its traceback, answered in the API's format all the same.
        log.exception("API %s %s failed", request.method, request.path)
        return respond(request, 500, "Internal error: the request was not carried out.")


def too_big_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return f"The request body is too large: at most {limit:,} bytes.".replace(",", " ")


# --- answers made outside the API's views ---------------------------------------------------

# What the URL layer and the method dispatch say, before any of the API's own code runs.
_PLAIN_MESSAGES = {
    400: "Bad request.",
    404: "Not found: no such path in the API.",
    413: "The request body is too large.",
    500: "Internal error: the request was not carried out.",
}


JSON_TYPE = "application/json; charset=utf-8"  # as ninja sends its own answers


def _json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse(_body(message), status=status, content_type=JSON_TYPE)


def _is_json(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith("application/json")


def error_in_json(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """``response`` when it is a success or already JSON; else the same status in the API's format."""
    if response.status_code < 400 or _is_json(response):
        return response
    allowed = ", ".join(sorted(method.strip() for method in str(response.get("Allow", "")).split(",")))
    if response.status_code == 405:
        message = f"Method {request.method} is not allowed here (allowed: {allowed})."
    else:
        message = _PLAIN_MESSAGES.get(response.status_code, response.reason_phrase + ".")
    answer = _json_error(message, response.status_code)
    if "Allow" in response:
        answer["Allow"] = allowed
    for header in ("WWW-Authenticate", "Retry-After"):
        if header in response:
            answer[header] = response[header]
    return answer


def json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap one of the API's URL views: whatever fails around it answers in JSON too."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except RequestDataTooBig:
            return _json_error(too_big_message(), 400)
        return error_in_json(request, response)

    return wrapped


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _json_error(_PLAIN_MESSAGES[404], 404)
