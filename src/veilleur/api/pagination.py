"""Keyset pagination on id: stable while rows are added or deleted between pages.

A cursor is opaque to clients; today it is the URL-safe base64 of the last id of the page.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet
from ninja import Schema
from pydantic import Field

from veilleur.api.errors import ApiError
from veilleur.api.fields import MAX_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 64  # far above the largest id's encoding; refuses megabytes of junk cheaply


ItemT = TypeVar("ItemT")
ModelT = TypeVar("ModelT", bound=Model)


class PageQuery(Schema):
    """Query parameters of every list; resources add their filters in subclasses."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Rows per page, at most {MAX_LIMIT}.")
    cursor: str | None = Field(None, description="The previous page's next_cursor; omit for the first page.")


class Page(Schema, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor stands for; a 400 for anything this API did not hand out."""
    malformed = ApiError(
        400,
        "Malformed cursor: pass the next_cursor value of the previous page unchanged.",
        {"cursor": "malformed cursor"},
    )
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise malformed
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise malformed from exc
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise malformed
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
