"""Instants and time ranges in query strings: ISO 8601 with a UTC offset, in order, not too long."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import BeforeValidator, Field

from veilleur.api.errors import field_error

# Before 1970 the history's cursors would go negative; near year 9999 the calendar arithmetic of
# day buckets would overflow. Nothing Veilleur measured lies outside these bounds anyway.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)

# The shapes accepted, checked before parsing: datetime.fromisoformat alone lets odd characters
# through (a NUL before the offset, for one) and takes forms nobody means in a query string.
_ISO_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?", re.ASCII
)
_EXPECTED = "expected an ISO 8601 date and time with a UTC offset, such as 2026-03-02T09:30:00Z"


def _shape_problem(text: str) -> str:
    # An unencoded "+01:00" reaches the server as " 01:00": say so rather than just "invalid".
    hint = "; in a URL, write the + of an offset as %2B" if " " in text.strip() else ""
    return _EXPECTED + hint


def parse_instant(value: object) -> object:
    """An aware instant in UTC from ISO 8601 text; a naive time is refused, never guessed at."""
    if not isinstance(value, str):
        return value  # not text: pydantic's own datetime check reports it
    text = value.strip()
    if not _ISO_INSTANT.fullmatch(text):
        raise ValueError(_shape_problem(value))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(_shape_problem(value)) from exc
    if parsed.utcoffset() is None:
        raise ValueError("a UTC offset is required ('Z' or '+01:00'): a time without one is ambiguous")
    try:
        instant = parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}") from exc
    if not EARLIEST <= instant <= LATEST:
        raise ValueError(f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return instant


Instant = Annotated[
    datetime,
    BeforeValidator(parse_instant),
    Field(description="ISO 8601 date and time with a UTC offset, e.g. 2026-03-02T09:30:00Z."),
]


def check_order(start: datetime | None, end: datetime | None) -> None:
    """A 422 on ``end`` unless it comes after ``start`` (when both are given)."""
    if start is not None and end is not None and end <= start:
        raise field_error("end", "must be later than start")


def check_range(start: datetime, end: datetime, longest: timedelta, why: str = "") -> None:
    """A 422 on ``end`` when the range is empty, reversed, or longer than ``longest``."""
    check_order(start, end)
    if end - start > longest:
        days = longest // timedelta(days=1)
        reason = f" {why}" if why else ""
        raise field_error(
            "end", f"the range from start to end may span at most {days} days{reason}; ask for several ranges"
        )
