"""Keyset pagination: stable while rows are added or deleted between pages.

Most lists go in id order. Lists of events (incidents, blips) go newest first, on the event's
time then id. A cursor is opaque to clients; today it is the URL-safe base64 of the last id of the
page, or of ``t:<microseconds since the epoch>.<id>`` for lists in time order.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from ninja import Schema
from pydantic import Field

from veilleur.api.errors import ApiError
from veilleur.api.fields import MAX_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 64  # far above the largest id's encoding; refuses megabytes of junk cheaply

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIME_CURSOR = re.compile(r"t:(\d{1,18})\.(\d{1,19})")


ItemT = TypeVar("ItemT")
ModelT = TypeVar("ModelT", bound=Model)


class PageQuery(Schema):
    """Query parameters of every list; resources add their filters in subclasses."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Rows per page, at most {MAX_LIMIT}.")
    cursor: str | None = Field(None, description="The previous page's next_cursor; omit for the first page.")


class Page(Schema, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None


def encode_text(text: str) -> str:
    """An opaque cursor carrying ``text`` (ASCII): clients pass it back unchanged."""
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def malformed_cursor() -> ApiError:
    return ApiError(
        400,
        "Malformed cursor: pass the next_cursor value of the previous page unchanged.",
        {"cursor": "malformed cursor"},
    )


def decode_text(cursor: str) -> str:
    """The text an opaque cursor carries; a 400 for anything that is not one."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise malformed_cursor()
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise malformed_cursor() from exc
    return text


def encode_cursor(last_id: int) -> str:
    return encode_text(str(last_id))


def decode_cursor(cursor: str) -> int:
    """The id a cursor stands for; a 400 for anything this API did not hand out."""
    text = decode_text(cursor)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise malformed_cursor()
    return int(text)


def paginate(queryset: QuerySet[ModelT], query: PageQuery) -> dict[str, Any]:
    """One page of rows in id order and the cursor of the next page (None on the last)."""
    rows = queryset.order_by("id")
    if query.cursor:
        rows = rows.filter(id__gt=decode_cursor(query.cursor))
    # One row more than asked tells whether another page follows, without a COUNT query.
    page = list(rows[: query.limit + 1])
    if len(page) <= query.limit:
        return {"items": page, "next_cursor": None}
    page = page[: query.limit]
    return {"items": page, "next_cursor": encode_cursor(page[-1].pk)}


def encode_time_cursor(at: datetime, row_id: int) -> str:
    return encode_text(f"t:{(at - EPOCH) // timedelta(microseconds=1)}.{row_id}")


def decode_time_cursor(cursor: str) -> tuple[datetime, int]:
    """The (time, id) of the last row of the previous page; a 400 for anything else."""
    match = _TIME_CURSOR.fullmatch(decode_text(cursor))
    if match is None or not 1 <= int(match[2]) <= MAX_ID:
        raise malformed_cursor()
    try:
        at = EPOCH + timedelta(microseconds=int(match[1]))
    except OverflowError as exc:  # beyond year 9999
        raise malformed_cursor() from exc
    return at, int(match[2])


def paginate_newest_first(queryset: QuerySet[ModelT], time_field: str, query: PageQuery) -> dict[str, Any]:
    """One page of rows, latest ``time_field`` first (ties: highest id first), and the next cursor.

    The cursor holds the last row's time and id, so rows added at the top while a client walks
    the pages neither shift nor repeat the rows it has still to read.
    """
    rows = queryset.order_by(f"-{time_field}", "-id")
    if query.cursor:
        at, last_id = decode_time_cursor(query.cursor)
        rows = rows.filter(Q(**{f"{time_field}__lt": at}) | Q(**{time_field: at, "id__lt": last_id}))
    page = list(rows[: query.limit + 1])
    if len(page) <= query.limit:
        return {"items": page, "next_cursor": None}
    page = page[: query.limit]
    last = page[-1]
    return {"items": page, "next_cursor": encode_time_cursor(getattr(last, time_field), last.pk)}
