"""Keyset paging for lists that grow with the Pemda (the review queue, the permit inbox).

A page is `limit` rows ordered by (timestamp, id); `next_cursor` is an opaque token for the row
after the last one, so a page costs the same on the first and the thousandth page and rows added
meanwhile are neither skipped nor repeated. The token is the last row's (timestamp, id) in
base64url: it is not a secret (whoever holds it may read that list anyway).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any

from litestar.params import Parameter
from piccolo.columns import Column
from piccolo.columns.combination import Where

from backend.core.errors import Invalid

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

PageLimit = Annotated[
    int,
    Parameter(
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"Rows per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
    ),
]
PageCursor = Annotated[
    str | None,
    Parameter(description="`next_cursor` of the previous page; absent for the first page."),
]


def encode_cursor(at: dt.datetime, row_id: int) -> str:
    raw = f"{at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, row_id = raw.rsplit("|", 1)
        when = dt.datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, int(row_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise Invalid("cursor tidak sah; mulai lagi dari halaman pertama") from None


def after(at_column: Column, id_column: Column, cursor: str | None) -> Where | Any | None:
    """The condition for rows after `cursor` in (at, id) order; None for the first page."""
    if not cursor:
        return None
    at, row_id = decode_cursor(cursor)
    return (at_column > at) | ((at_column == at) & (id_column > row_id))


def before(at_column: Column, id_column: Column, cursor: str | None) -> Where | Any | None:
    """The condition for rows after `cursor` in descending (at, id) order (newest first)."""
    if not cursor:
        return None
    at, row_id = decode_cursor(cursor)
    return (at_column < at) | ((at_column == at) & (id_column < row_id))


def page(
    rows: list[dict[str, Any]], limit: int, at_key: str, id_key: str = "id"
) -> tuple[list[dict[str, Any]], str | None]:
    """Split rows fetched with `limit + 1` into the page and the cursor of the next one."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1][at_key], rows[-1][id_key])
