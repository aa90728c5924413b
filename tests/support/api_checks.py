"""Checks the HTTP API tests share: problem answers, pagination walks, rows in the database."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import httpx
import sqlalchemy as sa

from voelgoedevents.adapters.database.tables import EventSeat
from voelgoedevents.bootstrap import Services

PROBLEM = "application/problem+json"
Call = Callable[..., Awaitable[httpx.Response]]


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The answer is an RFC 9457 problem with this status and stable code; its body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM, response.headers
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code), body
    assert body["type"].endswith("/" + code) and body["title"] and body["detail"], body
    return body


def invalid(response: httpx.Response, field: str) -> dict[str, Any]:
    """A 422 ``invalid_input`` whose ``errors`` name ``field`` (a dotted path, ``query.limit``)."""
    body = problem(response, 422, "invalid_input")
    named = [error["field"] for error in body.get("errors", [])]
    assert field in named, (field, body)
    assert all(error["reason"] for error in body["errors"]), body
    return body


def cursor_of(value: object) -> str:
    """A cursor as the API encodes them (urlsafe base64 of JSON, unpadded), to forge ones."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def walk_pages(
    call: Call, path: str, *, limit: int, role: str = "admin", **params: Any
) -> list[dict[str, Any]]:
    """Every item of a list, ``limit`` at a time: each page full but the last, no id twice."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(1_000):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await call("GET", path, role, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["items"]) == limit, page  # a short page must be the last
    else:
        raise AssertionError(f"{path}: the cursor never ran out")
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), f"{path}: an item came twice"
    return items


async def check_pagination(
    call: Call,
    path: str,
    expected_ids: list[str],
    *,
    most: int = 200,
    role: str = "read",
    **params: Any,
) -> None:
    """Small pages concatenate to exactly the whole list (no gap, no duplicate, same order);
    limits outside 1..most and cursors the API never gave out answer 422, not 500."""
    whole = await call("GET", path, role, params={**params, "limit": most})
    assert whole.status_code == 200, whole.text
    listed = [item["id"] for item in whole.json()["items"]]
    assert sorted(listed) == sorted(expected_ids), (listed, expected_ids)
    assert whole.json()["next_cursor"] is None
    for size in (1, 2):
        paged = await walk_pages(call, path, limit=size, role=role, **params)
        assert [item["id"] for item in paged] == listed
    for bad_limit in (0, most + 1, "many"):
        invalid(await call("GET", path, role, params={**params, "limit": bad_limit}), "query.limit")
    for bad_cursor in BAD_CURSORS:
        response = await call("GET", path, role, params={**params, "cursor": bad_cursor})
        invalid(response, "cursor")


BAD_CURSORS = [
    "not-a-cursor",
    "%%%",
    "8J-YgA",  # valid base64 of bytes that are not JSON
    cursor_of([1, 2]),
    cursor_of({}),
    cursor_of({"t": 5, "i": str(uuid.uuid4())}),
    cursor_of({"t": "2030-03-01T12:00:00", "i": str(uuid.uuid4())}),  # no time zone
    cursor_of({"t": "0001-01-01T00:00:00+14:00", "i": str(uuid.uuid4())}),  # before year 1 UTC
    cursor_of({"t": "2030-03-01T12:00:00+00:00", "i": 5}),
    cursor_of({"t": "2030-03-01T12:00:00+00:00", "i": "nope"}),
    cursor_of({"s": "3"}),
    cursor_of({"s": 10**30}),
    cursor_of({"s": -(10**30)}),
]


async def scalar(services: Services, statement: sa.Select[Any]) -> Any:
    async with services.engine.connect() as connection:
        return await connection.scalar(statement)


async def seat_states(services: Services, event_id: str) -> dict[str, str]:
    """Each seat of an event and its state, as the database holds it."""
    async with services.engine.connect() as connection:
        rows = await connection.execute(
            sa.select(EventSeat.seat_id, EventSeat.status).where(
                EventSeat.event_id == uuid.UUID(event_id)
            )
        )
        return {str(row.seat_id): row.status.value for row in rows}


async def db_row(services: Services, table: Any, row_id: str) -> dict[str, Any]:
    """One row as the database holds it, by id (an AssertionError if it is not there)."""
    columns = table.__table__
    async with services.engine.connect() as connection:
        found = (
            (await connection.execute(sa.select(columns).where(columns.c.id == uuid.UUID(row_id))))
            .mappings()
            .one_or_none()
        )
    assert found is not None, f"{columns.name} {row_id} is not in the database"
    return dict(found)


def matches_row(answer: dict[str, Any], row: dict[str, Any], *fields: str) -> None:
    """Each field of an API answer equals the stored column (ids, times and enums compared as
    values, not as text)."""
    for field in fields:
        stored, shown = row[field], answer[field]
        if isinstance(stored, datetime):
            assert shown is not None and datetime.fromisoformat(shown) == stored, field
        elif isinstance(stored, Decimal):
            assert Decimal(shown) == stored, field
        elif isinstance(stored, (uuid.UUID, Enum)):
            assert shown == (stored.value if isinstance(stored, Enum) else str(stored)), field
        else:
            assert shown == stored, (field, shown, stored)
