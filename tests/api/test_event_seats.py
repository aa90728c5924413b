"""An event's ticket types, blocked seats, seat history, holds and orders lists, stream token.

Blocking and unblocking change seat state in the database and the cache, so they run in all
three modes. Ticket types, the lists and the stream token are reads and bookkeeping: embedded and
database modes cover both databases.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from api.conftest import ApiWorld
from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.adapters.database.tables import Order, SeatHold, TicketType
from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.access import stream_token_matches
from voelgoedevents.workflows.ticketing.cache_sync import verify_event_cache
from voelgoedevents.workflows.ticketing.expire_holds import sweep_once

from support.api_checks import check_pagination, db_row, invalid, matches_row, problem, seat_states
from support.clock import ManualClock
from support.factories import table_counts

CRUD_MODES = pytest.mark.parametrize("hold_services", ["embedded", "database"], indirect=True)
TICKET_FIELDS = ("id", "event_id", "name", "price", "currency", "kind", "price_tier")
TICKET_FIELDS += ("total_quantity", "sold_count", "held_count", "sale_start_at", "sale_end_at")
STATE_BITS = {"available": 0, "held": 1, "sold": 2, "blocked": 3}


async def hold(world: ApiWorld, *seats: str) -> dict[str, Any]:
    made = await world.call(
        "POST",
        f"/events/{world.event_id}/holds",
        "sales",
        json={"seat_ids": list(seats), "holder_ref": "buyer"},
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def sell(world: ApiWorld, *seats: str) -> dict[str, Any]:
    made = await world.call("POST", f"/holds/{(await hold(world, *seats))['id']}/order", "sales")
    assert made.status_code == 201, made.text
    return dict(made.json())


async def engine_states(world: ApiWorld, services: Services) -> dict[str, str]:
    """Each seat's state as the database holds it; the API's seat map (the cache, in the Redis
    mode) must say the same, and the cache must equal the database."""
    stored = await seat_states(services, world.event_id)
    inventory = (await world.call("GET", f"/events/{world.event_id}/inventory", "read")).json()
    packed = base64.b64decode(inventory["states"])
    for index, seat in enumerate(world.seat_ids):
        bits = (packed[index // 4] >> (6 - 2 * (index % 4))) & 3
        assert bits == STATE_BITS[stored[seat]], (index, stored[seat], inventory["source"])
    key = EventKey(uuid.UUID(world.organization_id), uuid.UUID(world.event_id))
    report = await verify_event_cache(services, key, repair=False)
    assert report.drift == 0, report
    return stored


async def seat_history(world: ApiWorld, seat: str) -> list[tuple[str, str, str, str]]:
    response = await world.call("GET", f"/events/{world.event_id}/seats/{seat}/history", "read")
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    changes = response.json()["items"]
    return [(c["from_state"], c["to_state"], c["actor"], c["reason"]) for c in changes]


@CRUD_MODES
async def test_ticket_types(world: ApiWorld, hold_services: Services) -> None:
    path = f"/events/{world.event_id}/ticket-types"
    made = []
    for body in (
        {"name": "Stalls", "price": "350.00", "kind": "seated", "price_tier": "A"},
        {
            "name": "Door",
            "price": "120.5",
            "kind": "ga",
            "total_quantity": 40,
            "currency": "EUR",
            "sale_start_at": "2030-03-01T00:00:00Z",
            "sale_end_at": "2030-04-01T18:00:00Z",
        },
        {"name": "Balcony", "price": "0", "kind": "seated", "price_tier": "B"},
    ):
        response = await world.call("POST", path, json=body)
        assert response.status_code == 201, response.text
        ticket_type = response.json()
        row = await db_row(hold_services, TicketType, ticket_type["id"])
        matches_row(ticket_type, row, *TICKET_FIELDS, "status")
        assert (ticket_type["name"], ticket_type["event_id"]) == (body["name"], world.event_id)
        made.append(ticket_type)
    assert [(t["price"], t["currency"], t["status"]) for t in made] == [
        ("350.00", "ZAR", "active"),
        ("120.50", "EUR", "active"),
        ("0.00", "ZAR", "active"),
    ]
    await check_pagination(world.call, path, [t["id"] for t in made])
    listed = (await world.call("GET", path, "read")).json()["items"]
    assert sorted(listed, key=lambda t: t["id"]) == sorted(made, key=lambda t: t["id"])

    before = await table_counts(hold_services)
    problem(await world.call("POST", path, json={**_ga(), "name": "Door"}), 409, "conflict")
    for changes, field in (
        ({"kind": "seated", "price_tier": "Z"}, "price_tier"),  # no section has tier Z
        ({"kind": "seated"}, "body"),  # a seated type is priced through a tier
        ({"kind": "vip"}, "kind"),
        ({"price": "-1"}, "price"),
        ({"price": "1.005"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"currency": "rand"}, "currency"),
        ({"total_quantity": -5}, "total_quantity"),
        ({"name": " "}, "name"),
        ({"sale_start_at": "2030-03-02T00:00:00Z", "sale_end_at": "2030-03-01T00:00:00Z"}, "body"),
        ({"sold_count": 3}, "sold_count"),
    ):
        invalid(await world.call("POST", path, json={**_ga(), **changes}), field)
    general = await world.call(
        "POST",
        "/events",
        json={
            "venue_id": world.venue_id,
            "name": "Picnic",
            "capacity": 10,
            "start_at": "2030-04-02T10:00:00Z",
            "end_at": "2030-04-02T16:00:00Z",
        },
    )
    seated = {"name": "Chair", "price": "5", "kind": "seated", "price_tier": "A"}
    response = await world.call("POST", f"/events/{general.json()['id']}/ticket-types", json=seated)
    before["events"] += 1
    invalid(response, "kind")  # a general-admission event has no seats to price
    assert await table_counts(hold_services) == before


def _ga() -> dict[str, Any]:
    return {"name": "Extra", "price": "10.00", "kind": "ga", "total_quantity": 5}


async def test_block_and_unblock_seats(world: ApiWorld, hold_services: Services) -> None:
    a1, a2 = world.seat_ids[:2]
    blocked = await world.call(
        "POST",
        f"/events/{world.event_id}/seats/block",
        json={"seat_ids": [a2, a1, a1], "reason": "house seats"},
    )
    assert blocked.status_code == 200, blocked.text
    assert [
        (s["seat_id"], s["section"], s["block"], s["row"], s["number"]) for s in blocked.json()
    ] == [(a1, "Stalls", "Row A", "A", "1"), (a2, "Stalls", "Row A", "A", "2")]
    states = await engine_states(world, hold_services)
    assert (states[a1], states[a2]) == ("blocked", "blocked")
    refused = await world.call(
        "POST",
        f"/events/{world.event_id}/holds",
        "sales",
        json={"seat_ids": [a1], "holder_ref": "buyer"},
    )
    assert problem(refused, 409, "seat_unavailable")["seats"] == {a1: "blocked"}

    unblocked = await world.call(
        "POST", f"/events/{world.event_id}/seats/unblock", json={"seat_ids": [a1]}
    )
    assert unblocked.status_code == 200 and [s["seat_id"] for s in unblocked.json()] == [a1]
    states = await engine_states(world, hold_services)
    assert (states[a1], states[a2]) == ("available", "blocked")
    assert await seat_history(world, a1) == [
        ("available", "blocked", "key:admin", "house seats"),
        ("blocked", "available", "key:admin", "unblocked"),
    ]
    assert await seat_history(world, a2) == [("available", "blocked", "key:admin", "house seats")]
    assert (await hold(world, a1))["seats"][0]["seat_id"] == a1


async def test_block_refusals_change_nothing(world: ApiWorld, hold_services: Services) -> None:
    a3, pillar, b1, b2 = world.seat_ids[2:6]
    await hold(world, b1)
    await sell(world, b2)
    stranger = str(uuid.uuid4())
    states = await engine_states(world, hold_services)
    before = await table_counts(hold_services)
    for action, seats, refusals in (
        ("block", [b1], {b1: "held"}),
        ("block", [b2], {b2: "sold"}),
        ("block", [a3, b1], {b1: "held"}),  # all or nothing: A3 stays available
        ("block", [pillar], {pillar: "blocked"}),
        ("block", [a3, stranger], {stranger: "not_in_layout"}),
        ("unblock", [a3], {a3: "not_blocked (available)"}),
        ("unblock", [b2], {b2: "not_blocked (sold)"}),
        ("unblock", [pillar], {pillar: "blocked_in_layout"}),
    ):
        response = await world.call(
            "POST", f"/events/{world.event_id}/seats/{action}", json={"seat_ids": seats}
        )
        assert problem(response, 409, "seat_unavailable")["seats"] == refusals, action
    for body, field in (
        ({"seat_ids": []}, "seat_ids"),
        ({}, "seat_ids"),
        ({"seat_ids": ["A1"]}, "seat_ids.0"),
        ({"seat_ids": [a3], "reason": "r" * 101}, "reason"),
        ({"seat_ids": [a3], "until": "tomorrow"}, "until"),
    ):
        for action in ("block", "unblock"):
            response = await world.call(
                "POST", f"/events/{world.event_id}/seats/{action}", json=body
            )
            invalid(response, field)
    assert await engine_states(world, hold_services) == states
    assert await table_counts(hold_services) == before
    assert await seat_history(world, a3) == []
    for seat in (stranger, "00000000-0000-0000-0000-000000000000"):
        response = await world.call("GET", f"/events/{world.event_id}/seats/{seat}/history")
        problem(response, 404, "not_found")  # not a seat of this event: no empty history


async def test_a_seat_whose_hold_has_lapsed_can_be_blocked_and_stays_blocked(
    world: ApiWorld, hold_services: Services, clock: ManualClock
) -> None:
    """A hold past its time blocks nobody, even unswept: the seat counts as available, so the
    engine lets an admin block it; the sweeper later expires the hold and leaves the block."""
    c1 = world.seat_ids[8]
    lapsed = await hold(world, c1)
    clock.advance(601)
    response = await world.call(
        "POST", f"/events/{world.event_id}/seats/block", json={"seat_ids": [c1]}
    )
    assert response.status_code == 200, response.text
    assert (await engine_states(world, hold_services))[c1] == "blocked"
    problem(await world.call("POST", f"/holds/{lapsed['id']}/order", "sales"), 409, "hold_expired")
    await sweep_once(hold_services)
    assert (await db_row(hold_services, SeatHold, lapsed["id"]))["status"].value == "expired"
    assert (await engine_states(world, hold_services))[c1] == "blocked"
    assert [step[:2] for step in await seat_history(world, c1)] == [
        ("available", "held"),
        ("held", "blocked"),
    ]


@CRUD_MODES
async def test_holds_and_orders_lists(
    world: ApiWorld, hold_services: Services, clock: ManualClock
) -> None:
    holds = []
    for seat in world.seat_ids[4:8]:
        clock.advance(1)
        holds.append(await hold(world, seat))
    orders = [await sell(world, seat) for seat in world.seat_ids[8:11]]
    released = holds.pop()
    await world.call("POST", f"/holds/{released['id']}/release", "sales")
    holds_path = f"/events/{world.event_id}/holds"
    await check_pagination(world.call, holds_path, [h["id"] for h in holds])
    every = [h["id"] for h in holds] + [released["id"]] + [o["id"] for o in orders]
    listed = (await world.call("GET", holds_path, params={"active": "false"})).json()["items"]
    assert len(listed) == len(every)  # converted holds keep their own ids
    await check_pagination(world.call, holds_path, [h["id"] for h in listed], active="false")
    for item in listed:
        row = await db_row(hold_services, SeatHold, item["id"])
        matches_row(item, row, "status", "holder_ref", "held_until", "order_id", "created_at")
    assert {h["status"] for h in listed} == {"active", "cancelled", "converted"}

    orders_path = f"/events/{world.event_id}/orders"
    await check_pagination(world.call, orders_path, [o["id"] for o in orders])
    for item in (await world.call("GET", orders_path, "read")).json()["items"]:
        row = await db_row(hold_services, Order, item["id"])
        matches_row(item, row, "status", "holder_ref", "quantity", "created_at")
    invalid(await world.call("GET", holds_path, params={"active": "maybe"}), "query.active")


@CRUD_MODES
async def test_stream_token(world: ApiWorld, hold_services: Services) -> None:
    answers = [
        await world.call("GET", f"/events/{world.event_id}/stream-token", role)
        for role in ("read", "sales", "admin")
    ]
    assert all(answer.status_code == 200 for answer in answers)
    token = answers[0].json()["token"]
    assert {answer.json()["token"] for answer in answers} == {token}  # stable per event
    assert answers[0].json()["stream_url"] == (
        f"http://api/events/{world.event_id}/seats/stream?token={token}"
    )
    secret = hold_services.settings.api.secret
    assert stream_token_matches(secret, world.organization_id, world.event_id, token)
    other = (
        await world.call(
            "POST",
            "/events",
            json={
                "venue_id": world.venue_id,
                "name": "Other",
                "capacity": 5,
                "start_at": "2030-04-02T10:00:00Z",
                "end_at": "2030-04-02T16:00:00Z",
            },
        )
    ).json()["id"]
    other_token = (await world.call("GET", f"/events/{other}/stream-token", "read")).json()
    assert other_token["token"] != token
    # A token opens only its own event's stream (refused before any streaming starts).
    stream = await world.client.get(f"/events/{other}/seats/stream", params={"token": token})
    problem(stream, 401, "unauthenticated")
