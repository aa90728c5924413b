"""Selling over HTTP, in every engine mode: a hold becomes an order (once), expired or ended holds
are refused, the hold's history, and orders read, cancelled and refunded by an admin."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx

from api.conftest import ApiWorld, build_world
from voelgoedevents.bootstrap import Services
from voelgoedevents.workflows.ticketing.expire_holds import sweep_once

from support.api import (
    AVAILABLE,
    HELD,
    SOLD,
    Unchanged,
    assert_problem,
    expected_states,
    get_hold,
    hold_ok,
    seat_map,
    sell_ok,
    standing_ok,
)
from support.clock import ManualClock


async def test_sell_answers_the_order_and_the_seats_are_sold(world: ApiWorld) -> None:
    ids = world.seat_ids
    hold = await hold_ok(world, [ids[4], ids[8]], holder="basket-9")
    order = await sell_ok(world, hold["id"])
    assert (order["status"], order["holder_ref"], order["event_id"]) == (
        "completed",
        "basket-9",
        world.event_id,
    )
    assert [(s["section"], s["row"], s["number"]) for s in order["seats"]] == [
        ("Stalls", "B", "1"),
        ("Balcony", "C", "1"),
    ]
    converted = await get_hold(world, hold["id"])
    assert (converted["status"], converted["order_id"]) == ("converted", order["id"])
    assert (await seat_map(world)).states == expected_states(s4=SOLD, s8=SOLD)
    read = await world.call("GET", f"/orders/{order['id']}", "read")
    assert read.status_code == 200 and read.json() == order


async def test_selling_twice_answers_the_same_order(
    world: ApiWorld, hold_services: Services
) -> None:
    hold = await hold_ok(world, [world.seat_ids[0]])
    first = await sell_ok(world, hold["id"])
    async with Unchanged(hold_services, world):
        second = await sell_ok(world, hold["id"])
    assert second == first


async def test_selling_an_expired_hold_is_refused(
    world: ApiWorld, clock: ManualClock, hold_services: Services
) -> None:
    hold = await hold_ok(world, [world.seat_ids[0], world.seat_ids[1]])
    clock.advance(600)  # held_until is exclusive: at that instant the hold is over
    async with Unchanged(hold_services, world):
        refused = await world.call("POST", f"/holds/{hold['id']}/order", "sales")
        body = assert_problem(refused, 409, "hold_expired")
    assert body["held_until"]
    assert (await get_hold(world, hold["id"]))["order_id"] is None
    orders = await world.call("GET", f"/events/{world.event_id}/orders", "read")
    assert orders.json()["items"] == []


async def test_a_lapsed_hold_answers_hold_expired_before_and_after_the_sweeper(
    world: ApiWorld, clock: ManualClock, hold_services: Services
) -> None:
    """It answered `hold_expired` until the sweeper marked the hold, then `hold_not_active`:
    one situation, two codes. Now the same code, with `held_until`, either side of the sweep,
    for selling and for extending."""
    hold = await hold_ok(world, [world.seat_ids[0]])
    clock.advance(601)
    answers = []
    for swept in (False, True):
        if swept:
            assert await sweep_once(hold_services) == 1
            assert (await get_hold(world, hold["id"]))["status"] == "expired"
        async with Unchanged(hold_services, world):
            for action in ("order", "extend"):
                refused = await world.call("POST", f"/holds/{hold['id']}/{action}", "sales")
                body = assert_problem(refused, 409, "hold_expired")
                answers.append((action, body["held_until"], body["current_status"]))
    held_until = datetime.fromisoformat(hold["held_until"])
    assert {(datetime.fromisoformat(until), status) for _, until, status in answers} == {
        (held_until, "expired")
    }
    assert len(answers) == 4


async def test_selling_a_released_hold_is_refused(world: ApiWorld, hold_services: Services) -> None:
    hold = await hold_ok(world, [world.seat_ids[0]])
    await world.call("POST", f"/holds/{hold['id']}/release", "sales")
    async with Unchanged(hold_services, world):
        refused = await world.call("POST", f"/holds/{hold['id']}/order", "sales")
        body = assert_problem(refused, 409, "hold_not_active")
    assert body["current_status"] == "cancelled"
    assert (await seat_map(world)).states[0] == AVAILABLE


async def test_sell_needs_a_sales_key(world: ApiWorld, hold_services: Services) -> None:
    hold = await hold_ok(world, [world.seat_ids[0]])
    async with Unchanged(hold_services, world):
        refused = await world.call("POST", f"/holds/{hold['id']}/order", "read")
        assert_problem(refused, 403, "forbidden")
        missing = await world.call("POST", f"/holds/{uuid.uuid4()}/order", "sales")
        assert_problem(missing, 404, "not_found")
    assert (await get_hold(world, hold["id"]))["status"] == "active"


async def test_hold_history_oldest_first(world: ApiWorld) -> None:
    ids = world.seat_ids
    hold = await hold_ok(world, [ids[0], ids[1]])
    await world.call("POST", f"/holds/{hold['id']}/release", "sales", json={"seat_ids": [ids[1]]})
    order = await sell_ok(world, hold["id"])
    answer = await world.call("GET", f"/holds/{hold['id']}/history", "read")
    assert answer.status_code == 200, answer.text
    changes = answer.json()["items"]
    assert answer.json()["next_cursor"] is None
    steps = [
        (c["seat_id"], c["from_state"], c["to_state"], c["reason"], c["actor"]) for c in changes
    ]
    assert sorted(steps[:2]) == sorted(
        [(seat, "available", "held", "reserved", "key:sales") for seat in ids[:2]]
    )
    assert steps[2:] == [
        (ids[1], "held", "available", "released", "key:sales"),
        (ids[0], "held", "sold", "sold", "key:sales"),
    ]
    assert changes[3]["order_id"] == order["id"]
    assert {c["hold_id"] for c in changes} == {hold["id"]}


async def test_cancel_and_refund_free_the_seats_admin_only(
    world: ApiWorld, hold_services: Services
) -> None:
    ids = world.seat_ids
    first = await sell_ok(world, (await hold_ok(world, [ids[0], ids[1]]))["id"])
    second = await sell_ok(world, (await hold_ok(world, [ids[2]]))["id"])
    assert (await seat_map(world)).states == expected_states(s0=SOLD, s1=SOLD, s2=SOLD)
    async with Unchanged(hold_services, world):
        for role in ("sales", "read"):
            refused = await world.call("POST", f"/orders/{first['id']}/cancel", role, json={})
            assert_problem(refused, 403, "forbidden")
    cancelled = await world.call(
        "POST", f"/orders/{first['id']}/cancel", json={"reason": "changed mind"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["cancellation_reason"]) == (
        "cancelled",
        "changed mind",
    )
    refunded = await world.call("POST", f"/orders/{second['id']}/cancel", json={"refund": True})
    assert refunded.json()["status"] == "refunded"
    assert (await seat_map(world)).states == expected_states()
    stalls = (await seat_map(world)).sections["Stalls"]
    assert (stalls["available"], stalls["sold"]) == (7, 0)
    again = await hold_ok(world, [ids[0], ids[2]], holder="carol")  # the seats sell again
    assert (await seat_map(world)).states == expected_states(s0=HELD, s2=HELD)
    async with Unchanged(hold_services, world):
        twice = await world.call("POST", f"/orders/{first['id']}/cancel", json={})
        assert twice.status_code == 200 and twice.json()["status"] == "cancelled"
        refund_cancelled = await world.call(
            "POST", f"/orders/{first['id']}/cancel", json={"refund": True}
        )
        assert assert_problem(refund_cancelled, 409, "order_not_active")
    assert (await get_hold(world, again["id"]))["status"] == "active"
    read = await world.call("GET", f"/orders/{first['id']}", "read")
    assert read.json()["status"] == "cancelled"


async def test_standing_order_refund_gives_the_places_back(world: ApiWorld) -> None:
    hold = await standing_ok(world, 6)
    order = await sell_ok(world, hold["id"])
    assert (order["quantity"], order["seats"]) == (6, [])
    assert (await seat_map(world)).sections["Standing"]["available"] == 44
    refunded = await world.call("POST", f"/orders/{order['id']}/cancel", json={"refund": True})
    assert refunded.json()["status"] == "refunded"
    assert (await seat_map(world)).sections["Standing"]["available"] == 50


async def test_orders_of_another_organisation_are_not_found(
    world: ApiWorld, client: httpx.AsyncClient, hold_services: Services
) -> None:
    other = await build_world(client, hold_services)
    order = await sell_ok(world, (await hold_ok(world, [world.seat_ids[0]]))["id"])
    async with Unchanged(hold_services, world):
        assert_problem(await other.call("GET", f"/orders/{order['id']}"), 404, "not_found")
        cancel = await other.call("POST", f"/orders/{order['id']}/cancel", json={"refund": True})
        assert_problem(cancel, 404, "not_found")
        bad = await world.call("POST", f"/orders/{order['id']}/cancel", json={"refund": "maybe"})
        assert_problem(bad, 422, "invalid_input")
    assert (await seat_map(world)).states[0] == SOLD
