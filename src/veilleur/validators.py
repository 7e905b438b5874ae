"""Django validators built from the pure checks in ``domain.validators``.

Models, forms and the admin use these, so a value refused by the config file or the API is
refused with the same words everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy

from veilleur.domain import validators as checks
from veilleur.domain.refusals import Refused


def refusal(exc: ValueError) -> ValidationError:
    """Why a value was refused, as Django's validation error: a domain refusal is translated when its
    message is rendered, in the language then active (English in the API and the config file)."""
    if isinstance(exc, Refused):
        return ValidationError(gettext_lazy(exc.template), params=exc.values or None)
    return ValidationError(str(exc))


def english(exc: ValidationError) -> str:
    """The messages of a validation error in English, the language of the API and the config file."""
    with translation.override("en"):
        return "; ".join(exc.messages)


def refusal_text(exc: ValueError) -> str:
    """The refusal in the active language, as text."""
    return str(refusal(exc).messages[0])


def _run(check: Callable[[Any], Any], value: Any) -> None:
    try:
        check(value)
    except ValueError as exc:
        raise refusal(exc) from exc


# Plain module-level functions (not closures) so that migrations can refer to them by name.
def validate_time_zone(value: str) -> None:
    _run(checks.check_time_zone, value)


def validate_key(value: str) -> None:
    _run(checks.check_key, value)


def validate_name(value: str) -> None:
    _run(checks.check_name, value)


def validate_text(value: str) -> None:
    _run(checks.check_text, value)


def validate_color(value: str) -> None:
    _run(checks.check_color, value)


def validate_http_url(value: str) -> None:
    _run(checks.check_http_url, value)


def validate_domain(value: str) -> None:
    _run(checks.check_domain, value)


def validate_http_method(value: str) -> None:
    _run(checks.check_http_method, value)


def validate_status_spec(value: str) -> None:
    _run(checks.parse_status_spec, value)


def validate_weekly_hours(value: Any) -> None:
    if not isinstance(value, dict):
        raise ValidationError(
            gettext_lazy('opening hours must map weekdays to lists of ranges, e.g. {"mon": ["09:00-18:00"]}')
        )
    _run(checks.check_weekly_hours, value)


def validate_country(value: str) -> None:
    _run(checks.check_country, value)


def validate_rrule(value: str) -> None:
    _run(checks.check_rrule, value)


def validate_embed_origins(value: Any) -> None:
    if not isinstance(value, list):
        raise ValidationError(
            gettext_lazy("the origins allowed to embed a page are a list, e.g. ['https://www.example.com']")
        )
    _run(checks.check_embed_origins, value)


def validate_optional_color(value: str) -> None:
    if value:
        validate_color(value)


def validate_holidays(value: Any) -> None:
    if not isinstance(value, list):
        raise ValidationError(gettext_lazy("holidays must be a list of YYYY-MM-DD dates"))
    for item in value:
        try:
            checks.check_holiday(item)
        except ValueError as exc:
            raise refusal(exc) from exc


def validate_headers(value: Any) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() for k, v in value.items()
    ):
        raise ValidationError(gettext_lazy("headers must map header names to text values"))
    for name, header_value in value.items():
        if any(ch in name + header_value for ch in "\r\n"):
            message = gettext_lazy("header %(name)s contains a line break")
            raise ValidationError(message, params={"name": repr(name)})


def model_field_check(model: type[models.Model], field_name: str) -> Callable[[Any], Any]:
    """A model field's own validators as a check raising ``ValueError``: the config file's and
    the API's schemas run it, so a value is refused there with the words the staff pages'
    forms (which run the model's validation) show. Empty values are left to the schema."""
    model_field = model._meta.get_field(field_name)
    assert isinstance(model_field, models.Field)

    def run(value: Any) -> Any:
        if value is None or value == "":
            return value
        try:
            model_field.run_validators(value)
        except ValidationError as exc:
            raise ValueError(english(exc)) from exc
        return value

    return run
