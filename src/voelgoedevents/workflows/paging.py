"""Pages of a list, and the cursors that join them.

A cursor names the last row of a page (its creation time and id, a position, or an audit row's
id) and is bound to the list that gave it out: the list's name and its filters (the organisation,
the event, ``active``...) are signed into it with the API's secret. A cursor of another list, of
the same list under other filters, or one made up, is refused as bad input naming ``cursor``;
so a page never silently continues some other list. The position inside is still checked when
read (the development secret is public): whatever the database could not compare is refused too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from voelgoedevents.domain.errors import InvalidInput

T = TypeVar("T")
MAX_LIMIT = 200
MAX_SEAT_LIMIT = 5_000
MAX_CURSOR_LENGTH = 500  # a real cursor is under 150 characters
MAX_SEAT_INDEX = 2**31  # seat indexes are INTEGER columns
MAX_CHANGE_ID = 2**63  # audit row ids are BIGINT
NOT_OURS = "cursor is not one this API gave out for this list"

RowPosition = tuple[datetime, uuid.UUID]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class ListScope:
    """A list and the filters it was asked with: what a cursor belongs to."""

    name: str
    filters: tuple[object, ...] = ()

    def _message(self, payload: str) -> bytes:
        parts = ["cursor", self.name, *(str(value) for value in self.filters), payload]
        return "\0".join(parts).encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, scope: ListScope, payload: str) -> str:
    digest = hmac.new(secret.encode(), scope._message(payload), hashlib.sha256).digest()
    return _b64(digest[:16])


def encode_cursor(secret: str, scope: ListScope, position: dict[str, Any]) -> str:
    payload = _b64(json.dumps(position, separators=(",", ":")).encode())
    return f"{payload}.{_mac(secret, scope, payload)}"


def decode_cursor(secret: str, scope: ListScope, cursor: str) -> dict[str, Any]:
    """The position a cursor of this list (with these filters) names; InvalidInput otherwise."""
    if len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        raise InvalidInput(NOT_OURS, field="cursor")
    payload, dot, mac = cursor.partition(".")
    if not dot or not hmac.compare_digest(mac.encode(), _mac(secret, scope, payload).encode()):
        raise InvalidInput(NOT_OURS, field="cursor")
    try:
        value = json.loads(_unb64(payload))
    except (ValueError, binascii.Error):
        raise InvalidInput(NOT_OURS, field="cursor") from None
    if not isinstance(value, dict):
        raise InvalidInput(NOT_OURS, field="cursor")
    return value


def row_position(position: dict[str, Any]) -> RowPosition:
    """The (created_at, id) a decoded cursor names: an aware time UTC can hold, and an id."""
    at, row_id = position.get("t"), position.get("i")
    try:
        if not isinstance(at, str) or not isinstance(row_id, str):
            raise ValueError
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError
        return moment.astimezone(UTC), uuid.UUID(row_id)
    except (ValueError, OverflowError):
        raise InvalidInput(NOT_OURS, field="cursor") from None


def index_position(position: dict[str, Any], key: str, end: int) -> int:
    """The integer position (a seat index, an audit id) a decoded cursor names, in 0..end-1."""
    value = position.get(key)
    if type(value) is not int or not 0 <= value < end:
        raise InvalidInput(NOT_OURS, field="cursor")
    return value


def check_limit(limit: int, most: int = MAX_LIMIT) -> int:
    if not 1 <= limit <= most:
        raise InvalidInput(f"limit must be between 1 and {most}", field="limit")
    return limit
