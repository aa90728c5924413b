"""The seat map over HTTP, in every engine mode: the whole map in one answer (two bits a seat,
decoded here and checked against what was done) and the counts per section."""

from __future__ import annotations

import uuid

import httpx
import pytest

from api.conftest import ApiWorld, build_world
from voelgoedevents.bootstrap import Services

from support.api import (
    BLOCKED,
    HELD,
    SOLD,
    assert_problem,
    block,
    decode_states,
    expected_states,
    hold_ok,
    seat_map,
    sell_ok,
    standing_ok,
)

SOURCES = {"embedded": "cache", "redis": "cache", "database": "database"}


async def test_the_map_shows_what_was_done(world: ApiWorld, request: pytest.FixtureRequest) -> None:
    ids = world.seat_ids
    fresh = await seat_map(world)
    assert fresh.states == expected_states()
    assert fresh.source == SOURCES[request.node.callspec.params["hold_services"]]
    await hold_ok(world, [ids[0], ids[9]])
    await sell_ok(world, (await hold_ok(world, [ids[5], ids[6]], holder="bob"))["id"])
    await block(world, [ids[11]])
    await standing_ok(world, 7)
    released = await hold_ok(world, [ids[1]], holder="carol")
    await world.call("POST", f"/holds/{released['id']}/release", "sales")
    after = await seat_map(world)
    assert after.states == expected_states(s0=HELD, s9=HELD, s5=SOLD, s6=SOLD, s11=BLOCKED)
    assert after.names()[:4] == ["held", "available", "available", "blocked"]
    counts = {
        name: (s["capacity"], s["available"], s["held"], s["sold"], s["blocked"], s["type"])
        for name, s in after.sections.items()
    }
    assert counts == {
        "Stalls": (8, 4, 1, 2, 1, "seated"),
        "Balcony": (4, 2, 1, 0, 1, "seated"),
        "Standing": (50, 43, 0, 0, 0, "standing"),
    }
    # The answer's order is the sections' names; ids match the layout's sections.
    answer = (await world.call("GET", f"/events/{world.event_id}/inventory", "read")).json()
    assert [s["name"] for s in answer["sections"]] == ["Balcony", "Stalls", "Standing"]
    assert answer["seat_count"] == 12 and answer["encoding"].startswith("base64")
    sections = (await world.call("GET", f"/layouts/{world.layout_id}/sections")).json()["items"]
    assert {s["section_id"] for s in answer["sections"]} == {s["id"] for s in sections}


async def test_the_map_is_in_seat_index_order(world: ApiWorld) -> None:
    seats = (await world.call("GET", f"/layouts/{world.layout_id}/seats")).json()["items"]
    c3 = next(seat for seat in seats if (seat["row"], seat["number"]) == ("C", "3"))
    await hold_ok(world, [c3["id"]])
    answer = (await world.call("GET", f"/events/{world.event_id}/inventory", "read")).json()
    states = decode_states(answer["states"], answer["seat_count"])
    assert [i for i, state in enumerate(states) if state == HELD] == [c3["index"]]


async def test_the_map_of_an_unknown_or_foreign_event_is_not_found(
    world: ApiWorld, client: httpx.AsyncClient, hold_services: Services
) -> None:
    other = await build_world(client, hold_services)
    foreign = await other.call("GET", f"/events/{world.event_id}/inventory", "read")
    assert_problem(foreign, 404, "not_found")
    missing = await world.call("GET", f"/events/{uuid.uuid4()}/inventory", "read")
    assert_problem(missing, 404, "not_found")
    anonymous = await world.client.get(f"/events/{world.event_id}/inventory")
    assert_problem(anonymous, 401, "unauthenticated")
