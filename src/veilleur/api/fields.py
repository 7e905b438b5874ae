"""Field types of the API's request bodies, built on the same checks as the models.

Numbers and booleans are strict: ``"5"`` is not 5 and ``"yes"`` is not true, so a client's
type mistake is reported instead of guessed at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, Strict, field_validator

from veilleur.domain import validators as checks
from veilleur.validators import english

# Bounds of the database columns: larger values would fail in the database, not in validation.
MAX_ID = 2**63 - 1
MAX_POSITIVE_INT = 2_147_483_647


def _check_email(value: str) -> str:
    address = value.strip().lower()
    try:
        validate_email(address)
    except ValidationError as exc:
        # The words of the models' e-mail fields, which the config file and the staff forms show.
        raise ValueError(english(exc)) from exc
    return address


def _optional(check: Callable[[str], str]) -> Callable[[str], str]:
    """An empty string means "not set" for optional text fields such as a client's colour."""

    def run(value: str) -> str:
        return check(value) if value else value

    return run


StrictBoolean = Annotated[bool, Strict()]
ObjectId = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
PositiveInt = Annotated[int, Strict(), Field(ge=1, le=MAX_POSITIVE_INT)]
NonNegativeInt = Annotated[int, Strict(), Field(ge=0, le=MAX_POSITIVE_INT)]

Key = Annotated[str, Field(max_length=64), AfterValidator(checks.check_key)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(checks.check_name)]
TimeZone = Annotated[str, Field(max_length=64), AfterValidator(checks.check_time_zone)]
Language = Annotated[str, AfterValidator(checks.check_language)]
OptionalLanguage = Annotated[str, Field(max_length=2), AfterValidator(_optional(checks.check_language))]
HttpUrl = Annotated[str, Field(max_length=500), AfterValidator(checks.check_http_url)]
LongHttpUrl = Annotated[str, Field(max_length=1000), AfterValidator(checks.check_http_url)]
OptionalHttpUrl = Annotated[str, Field(max_length=500), AfterValidator(_optional(checks.check_http_url))]
OptionalColor = Annotated[str, Field(max_length=7), AfterValidator(_optional(checks.check_color))]
Email = Annotated[str, Field(max_length=254), AfterValidator(_check_email)]
HttpMethod = Annotated[str, Field(max_length=7), AfterValidator(checks.check_http_method)]
StatusSpec = Annotated[str, Field(max_length=200), AfterValidator(checks.normalise_status_spec)]
Keyword = Annotated[str, Field(max_length=500)]
OptionalRrule = Annotated[str, Field(max_length=500), AfterValidator(_optional(checks.check_rrule))]
Headers = dict[Annotated[str, Field(min_length=1, max_length=200)], Annotated[str, Field(max_length=2000)]]


def _storable_text_problem(value: Any) -> str | None:
    """Why a text, or a text inside a map or a list, cannot be stored; None when it can."""
    if isinstance(value, str):
        if "\x00" in value:
            return "text must not contain the NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text contains an invalid character (an unpaired surrogate)"
        return None
    if isinstance(value, dict):
        return next(
            (p for item in value.items() for p in map(_storable_text_problem, item) if p is not None), None
        )
    if isinstance(value, list | tuple):
        return next((p for p in map(_storable_text_problem, value) if p is not None), None)
    return None


class InputSchema(Schema):
    """Base of request bodies: unknown fields are refused, text must be storable by any database."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_unstorable_text(cls, value: Any) -> Any:
        # PostgreSQL refuses NUL characters and unpaired surrogates at write time; refuse them here
        # so that the client gets a 422 naming the field instead of a server error.
        problem = _storable_text_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, for a partial update."""
        return self.model_dump(exclude_unset=True)
