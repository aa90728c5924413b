"""Helpers for the HTTP API tests: problems, the seat map, holds, and "nothing changed" checks.

The world is the one ``tests/api/conftest.py`` builds: the small document's twelve seats in index
order (A1..A4, B1..B4, C1..C4; A4 blocked in the layout) and a standing area of 50.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from voelgoedevents.bootstrap import Services

from support.factories import table_counts

if TYPE_CHECKING:
    from api.conftest import ApiWorld

# For what the HTTP layer decides before any workflow runs (parsing, validation, middleware):
# the engine mode cannot matter, so one mode (the self-contained embedded one) is enough.
HTTP_LAYER_ONLY = pytest.mark.parametrize("hold_services", ["embedded"], indirect=True)

PROBLEM_KEYS = {"type", "title", "status", "code", "detail"}
AVAILABLE, HELD, SOLD, BLOCKED = 0, 1, 2, 3
STATE_NAMES = {AVAILABLE: "available", HELD: "held", SOLD: "sold", BLOCKED: "blocked"}
LAYOUT_BLOCKED = 3  # A4, the pillar: blocked in every event of the layout


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 answer with our stable code; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert (body["status"], body["code"]) == (status, code), body
    assert body["type"].endswith("/" + code)
    assert body["title"] and body["detail"]
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    """The fields an ``invalid_input`` problem names."""
    return {error["field"] for error in body.get("errors", [])}


def decode_states(encoded: str, seat_count: int) -> list[int]:
    """The inventory's ``states``: two bits per seat, most significant first."""
    packed = base64.b64decode(encoded)
    assert len(packed) == (seat_count * 2 + 7) // 8
    return [(packed[i // 4] >> (6 - 2 * (i % 4))) & 3 for i in range(seat_count)]


@dataclass(frozen=True)
class SeatMap:
    states: list[int]
    sections: dict[str, dict[str, Any]]
    source: str

    def names(self) -> list[str]:
        return [STATE_NAMES[state] for state in self.states]


async def seat_map(world: ApiWorld) -> SeatMap:
    answer = await world.call("GET", f"/events/{world.event_id}/inventory", "read")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["event_id"] == world.event_id
    return SeatMap(
        decode_states(body["states"], body["seat_count"]),
        {section["name"]: section for section in body["sections"]},
        body["source"],
    )


def expected_states(**changed: int) -> list[int]:
    """The fresh event's map with some seats changed, by index: ``expected_states(s0=HELD)``."""
    states = [AVAILABLE] * 12
    states[LAYOUT_BLOCKED] = BLOCKED
    for key, state in changed.items():
        states[int(key.removeprefix("s"))] = state
    return states


async def reserve(
    world: ApiWorld,
    seats: list[str] | None = None,
    *,
    holder: str = "alice",
    role: str = "sales",
    headers: dict[str, str] | None = None,
    **body: Any,
) -> httpx.Response:
    payload: dict[str, Any] = {"holder_ref": holder, **body}
    if seats is not None:
        payload["seat_ids"] = seats
    return await world.call(
        "POST", f"/events/{world.event_id}/holds", role, json=payload, headers=headers or {}
    )


async def hold_ok(world: ApiWorld, seats: list[str], **kwargs: Any) -> dict[str, Any]:
    answer = await reserve(world, seats, **kwargs)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def standing_ok(world: ApiWorld, quantity: int, **kwargs: Any) -> dict[str, Any]:
    answer = await reserve(world, section_id=world.standing_section_id, quantity=quantity, **kwargs)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def sell_ok(world: ApiWorld, hold_id: str) -> dict[str, Any]:
    answer = await world.call("POST", f"/holds/{hold_id}/order", "sales")
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def get_hold(world: ApiWorld, hold_id: str) -> dict[str, Any]:
    answer = await world.call("GET", f"/holds/{hold_id}", "read")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def block(world: ApiWorld, seats: list[str]) -> None:
    answer = await world.call(
        "POST", f"/events/{world.event_id}/seats/block", json={"seat_ids": seats}
    )
    assert answer.status_code == 200, answer.text


@dataclass
class Unchanged:
    """``async with Unchanged(services, world):`` the block's refusals left every table's row
    count and the event's seat map exactly as they were."""

    services: Services
    world: ApiWorld
    before: tuple[dict[str, int], SeatMap] | None = None

    async def snapshot(self) -> tuple[dict[str, int], SeatMap]:
        return await table_counts(self.services), await seat_map(self.world)

    async def __aenter__(self) -> Unchanged:
        self.before = await self.snapshot()
        return self

    async def __aexit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            after = await self.snapshot()
            assert self.before is not None
            assert after[0] == self.before[0], "a refused request changed the database"
            assert after[1].states == self.before[1].states
            assert after[1].sections == self.before[1].sections
