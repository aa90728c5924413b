"""Holds over HTTP, in every engine mode: reserve seats and standing places, every refusal (and
that a refusal changes nothing), get, extend up to the cap, release whole and in part."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx

from api.conftest import ApiWorld, build_world
from voelgoedevents.bootstrap import Services

from support.api import (
    AVAILABLE,
    BLOCKED,
    HELD,
    SOLD,
    Unchanged,
    assert_problem,
    block,
    error_fields,
    expected_states,
    get_hold,
    hold_ok,
    reserve,
    seat_map,
    sell_ok,
    standing_ok,
)
from support.clock import START, ManualClock


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_reserve_seats_answers_each_seat_and_the_time_left(
    world: ApiWorld, clock: ManualClock
) -> None:
    seats = [world.seat_ids[8], world.seat_ids[4], world.seat_ids[5]]  # C1, B1, B2
    hold = await hold_ok(world, seats, holder="basket-1", source="scanner")
    assert uuid.UUID(hold["id"]) and hold["event_id"] == world.event_id
    assert (hold["status"], hold["holder_ref"], hold["source"]) == ("active", "basket-1", "scanner")
    assert [
        (s["seat_id"], s["section"], s["block"], s["row"], s["number"]) for s in hold["seats"]
    ] == [  # in seat-index order, whatever order they were asked in
        (world.seat_ids[4], "Stalls", "Row B", "B", "1"),
        (world.seat_ids[5], "Stalls", "Row B", "B", "2"),
        (world.seat_ids[8], "Balcony", "Row C", "C", "1"),
    ]
    assert at(hold["held_until"]) == START + timedelta(seconds=600)
    assert hold["seconds_left"] == 600
    assert (hold["quantity"], hold["section_id"], hold["order_id"]) == (0, None, None)
    assert (await seat_map(world)).states == expected_states(s4=HELD, s5=HELD, s8=HELD)
    clock.advance(250)
    again = await get_hold(world, hold["id"])
    assert again["seconds_left"] == 350
    assert {k: v for k, v in again.items() if k != "seconds_left"} == {
        k: v for k, v in hold.items() if k != "seconds_left"
    }


async def test_reserve_standing_places(world: ApiWorld) -> None:
    hold = await standing_ok(world, 4)
    assert (hold["section_id"], hold["quantity"], hold["seats"]) == (
        world.standing_section_id,
        4,
        [],
    )
    standing = (await seat_map(world)).sections["Standing"]
    assert (standing["capacity"], standing["available"]) == (50, 46)


async def test_refusal_names_every_unavailable_seat_and_holds_none(
    world: ApiWorld, hold_services: Services
) -> None:
    ids = world.seat_ids
    held = await hold_ok(world, [ids[0]])
    sold = await hold_ok(world, [ids[1]], holder="bob")
    await sell_ok(world, sold["id"])
    await block(world, [ids[2]])
    stranger = str(uuid.uuid4())
    async with Unchanged(hold_services, world):
        refused = await reserve(world, [ids[0], ids[1], ids[2], ids[3], ids[4], stranger])
        body = assert_problem(refused, 409, "seat_unavailable")
    assert body["seats"] == {
        ids[0]: "held",
        ids[1]: "sold",
        ids[2]: "blocked",
        ids[3]: "blocked",  # blocked in the layout
        stranger: "not_in_layout",
    }
    # Known seats alone are each named with their state; the free seat (B1) stays free.
    async with Unchanged(hold_services, world):
        refused = await reserve(world, [ids[0], ids[1], ids[2], ids[3], ids[4]])
    assert assert_problem(refused, 409, "seat_unavailable")["seats"] == {
        ids[0]: "held",
        ids[1]: "sold",
        ids[2]: "blocked",
        ids[3]: "blocked",
    }
    assert (await get_hold(world, held["id"]))["status"] == "active"
    assert (await seat_map(world)).states[4] == AVAILABLE


async def test_seat_of_another_layout_is_not_in_layout(
    world: ApiWorld, client: httpx.AsyncClient, hold_services: Services
) -> None:
    other = await build_world(client, hold_services)
    foreign = other.seat_ids[0]
    async with Unchanged(hold_services, world):
        refused = await reserve(world, [world.seat_ids[0], foreign])
    assert assert_problem(refused, 409, "seat_unavailable")["seats"] == {foreign: "not_in_layout"}


async def test_bad_seat_lists_are_refused_and_name_the_field(
    world: ApiWorld, hold_services: Services
) -> None:
    ids = world.seat_ids
    free = [i for i in range(12) if i != 3]
    cases = [
        ({"seat_ids": [], "holder_ref": "a"}, "seat_ids"),
        ({"seat_ids": [ids[0], ids[0]], "holder_ref": "a"}, "seat_ids"),
        ({"seat_ids": [str(uuid.uuid4()) for _ in range(101)], "holder_ref": "a"}, "seat_ids"),
        ({"seat_ids": ["not-a-uuid"], "holder_ref": "a"}, "seat_ids.0"),
        ({"seat_ids": [ids[0]]}, "holder_ref"),
        ({"seat_ids": [ids[0]], "holder_ref": ""}, "holder_ref"),
        ({"seat_ids": [ids[0]], "holder_ref": "a", "colour": "red"}, "colour"),
        ({"section_id": world.standing_section_id, "holder_ref": "a"}, None),
        ({"quantity": 2, "holder_ref": "a"}, None),
        ({"holder_ref": "a"}, None),
        (
            {
                "seat_ids": [ids[0]],
                "section_id": world.standing_section_id,
                "quantity": 1,
                "holder_ref": "a",
            },
            None,
        ),
    ]
    async with Unchanged(hold_services, world):
        for body, field in cases:
            answer = await world.call("POST", f"/events/{world.event_id}/holds", "sales", json=body)
            problem = assert_problem(answer, 422, "invalid_input")
            if field is not None:
                assert field in error_fields(problem), (body, problem)
        # More than a booking may take (10 by default), as seats or as places.
        too_many = await reserve(world, [ids[i] for i in free])
        assert assert_problem(too_many, 422, "invalid_input")["field"] == "seat_ids"
        standing = await reserve(world, section_id=world.standing_section_id, quantity=11)
        assert assert_problem(standing, 422, "invalid_input")["field"] == "quantity"
        seated_as_standing = await reserve(world, section_id=ids[0], quantity=1)
        assert_problem(seated_as_standing, 422, "invalid_input")


async def test_standing_capacity_exceeded(world: ApiWorld, hold_services: Services) -> None:
    for _ in range(4):
        await standing_ok(world, 10)
    await standing_ok(world, 8)
    async with Unchanged(hold_services, world):
        refused = await reserve(world, section_id=world.standing_section_id, quantity=3)
        body = assert_problem(refused, 409, "capacity_exceeded")
    assert body["available"] == 2
    await standing_ok(world, 2)  # exactly what is left


async def test_event_not_on_sale(world: ApiWorld, hold_services: Services) -> None:
    held = await hold_ok(world, [world.seat_ids[0]])
    postponed = await world.call("POST", f"/events/{world.event_id}/postpone")
    assert postponed.status_code == 200, postponed.text
    async with Unchanged(hold_services, world):
        body = assert_problem(await reserve(world, [world.seat_ids[1]]), 409, "event_not_on_sale")
        assert body["current_status"] == "postponed"  # the event's; `status` is the 409
        standing = await reserve(world, section_id=world.standing_section_id, quantity=1)
        assert_problem(standing, 409, "event_not_on_sale")
        assert_problem(
            await world.call("POST", f"/holds/{held['id']}/order", "sales"),
            409,
            "event_not_on_sale",
        )


async def test_roles_and_tenancy(
    world: ApiWorld, client: httpx.AsyncClient, hold_services: Services
) -> None:
    other = await build_world(client, hold_services)
    hold = await hold_ok(world, [world.seat_ids[0]])
    async with Unchanged(hold_services, world):
        assert_problem(await reserve(world, [world.seat_ids[1]], role="read"), 403, "forbidden")
        assert_problem(
            await world.client.post(f"/events/{world.event_id}/holds", json={}),
            401,
            "unauthenticated",
        )
        # Another organisation's key finds neither the event nor the hold.
        for method, path in [
            ("POST", f"/events/{world.event_id}/holds"),
            ("GET", f"/holds/{hold['id']}"),
            ("POST", f"/holds/{hold['id']}/extend"),
            ("POST", f"/holds/{hold['id']}/release"),
            ("POST", f"/holds/{hold['id']}/order"),
            ("GET", f"/holds/{hold['id']}/history"),
        ]:
            body = (
                {"seat_ids": [world.seat_ids[1]], "holder_ref": "x"} if "events" in path else None
            )
            answer = await other.call(method, path, "admin", json=body)
            assert_problem(answer, 404, "not_found")
    assert_problem(await world.call("GET", f"/holds/{uuid.uuid4()}"), 404, "not_found")


async def test_extend_up_to_the_cap_then_refused(
    world: ApiWorld, clock: ManualClock, hold_services: Services
) -> None:
    hold = await hold_ok(world, [world.seat_ids[0]])
    created = at(hold["created_at"])
    for elapsed in (500, 1000, 1500, 2000, 2500):
        clock.now = created + timedelta(seconds=elapsed)
        extended = await world.call("POST", f"/holds/{hold['id']}/extend", "sales")
        assert extended.status_code == 200, extended.text
        assert at(extended.json()["held_until"]) == clock.now + timedelta(seconds=600)
        assert extended.json()["seconds_left"] == 600
    clock.now = created + timedelta(seconds=3000)
    capped = (await world.call("POST", f"/holds/{hold['id']}/extend", "sales")).json()
    assert at(capped["held_until"]) == created + timedelta(seconds=3600)  # the hour's cap
    clock.now = created + timedelta(seconds=3100)
    async with Unchanged(hold_services, world):
        refused = await world.call("POST", f"/holds/{hold['id']}/extend", "sales")
        body = assert_problem(refused, 409, "hold_not_active")
    assert at(body["cap"]) == created + timedelta(seconds=3600)
    assert at((await get_hold(world, hold["id"]))["held_until"]) == created + timedelta(
        seconds=3600
    )
    clock.now = created + timedelta(seconds=3601)
    expired = await world.call("POST", f"/holds/{hold['id']}/extend", "sales")
    assert_problem(expired, 409, "hold_expired")


async def test_release_whole_is_idempotent(world: ApiWorld, hold_services: Services) -> None:
    ids = world.seat_ids
    hold = await hold_ok(world, [ids[0], ids[1]])
    released = await world.call("POST", f"/holds/{hold['id']}/release", "sales")
    assert released.status_code == 200, released.text
    assert (released.json()["status"], released.json()["seats"]) == ("cancelled", [])
    assert released.json()["seconds_left"] == 0
    assert (await seat_map(world)).states == expected_states()
    taken = await hold_ok(world, [ids[0]], holder="bob")  # the seat is really free
    async with Unchanged(hold_services, world):
        again = await world.call("POST", f"/holds/{hold['id']}/release", "sales")
        assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert (await get_hold(world, taken["id"]))["status"] == "active"  # bob's hold untouched


async def test_release_in_part(world: ApiWorld, hold_services: Services) -> None:
    ids = world.seat_ids
    hold = await hold_ok(world, [ids[0], ids[1], ids[2]])
    part = await world.call(
        "POST", f"/holds/{hold['id']}/release", "sales", json={"seat_ids": [ids[1]]}
    )
    assert part.status_code == 200, part.text
    assert part.json()["status"] == "active"
    assert [s["seat_id"] for s in part.json()["seats"]] == [ids[0], ids[2]]
    assert (await seat_map(world)).states == expected_states(s0=HELD, s2=HELD)
    async with Unchanged(hold_services, world):
        again = await world.call(
            "POST", f"/holds/{hold['id']}/release", "sales", json={"seat_ids": [ids[1]]}
        )
        assert assert_problem(again, 422, "invalid_input")["field"] == "seat_ids"
    rest = await world.call(
        "POST", f"/holds/{hold['id']}/release", "sales", json={"seat_ids": [ids[0], ids[2]]}
    )
    assert (rest.json()["status"], rest.json()["seats"]) == ("cancelled", [])
    assert (await seat_map(world)).states == expected_states()


async def test_release_standing_in_part(world: ApiWorld) -> None:
    hold = await standing_ok(world, 5)
    part = await world.call("POST", f"/holds/{hold['id']}/release", "sales", json={"quantity": 2})
    assert (part.json()["status"], part.json()["quantity"]) == ("active", 3)
    assert (await seat_map(world)).sections["Standing"]["available"] == 47
    too_many = await world.call(
        "POST", f"/holds/{hold['id']}/release", "sales", json={"quantity": 4}
    )
    assert assert_problem(too_many, 422, "invalid_input")["field"] == "quantity"
    await world.call("POST", f"/holds/{hold['id']}/release", "sales")
    assert (await seat_map(world)).sections["Standing"]["available"] == 50


async def test_releasing_a_sold_hold_frees_nothing(
    world: ApiWorld, hold_services: Services
) -> None:
    hold = await hold_ok(world, [world.seat_ids[0]])
    await sell_ok(world, hold["id"])
    async with Unchanged(hold_services, world):
        refused = await world.call("POST", f"/holds/{hold['id']}/release", "sales")
        assert_problem(refused, 409, "hold_not_active")
    assert (await seat_map(world)).states[0] == SOLD
    assert_problem(await reserve(world, [world.seat_ids[0]]), 409, "seat_unavailable")


async def test_expired_hold_blocks_nobody_and_releases_as_expired(
    world: ApiWorld, clock: ManualClock
) -> None:
    hold = await hold_ok(world, [world.seat_ids[0]])
    clock.advance(601)
    assert (await get_hold(world, hold["id"]))["seconds_left"] == 0
    taken = await hold_ok(world, [world.seat_ids[0]], holder="bob")  # before any sweep
    released = await world.call("POST", f"/holds/{hold['id']}/release", "sales")
    assert released.json()["status"] == "expired"
    assert (await get_hold(world, taken["id"]))["status"] == "active"
    assert (await seat_map(world)).states[0] == HELD  # bob's seat stays his


async def test_blocked_state_listed_in_counts(world: ApiWorld) -> None:
    await block(world, [world.seat_ids[9]])
    balcony = (await seat_map(world)).sections["Balcony"]
    assert (balcony["available"], balcony["blocked"]) == (3, 1)
    assert (await seat_map(world)).states[9] == BLOCKED


async def test_release_naming_the_wrong_kind_frees_nothing(
    world: ApiWorld, hold_services: Services
) -> None:
    seated = await hold_ok(world, [world.seat_ids[0], world.seat_ids[1]])
    places = await standing_ok(world, 4)
    async with Unchanged(hold_services, world):
        by_quantity = await world.call(
            "POST", f"/holds/{seated['id']}/release", "sales", json={"quantity": 1}
        )
        assert assert_problem(by_quantity, 422, "invalid_input")["field"] == "quantity"
        by_seat = await world.call(
            "POST",
            f"/holds/{places['id']}/release",
            "sales",
            json={"seat_ids": [world.seat_ids[0]]},
        )
        assert assert_problem(by_seat, 422, "invalid_input")["field"] == "seat_ids"
    assert (await get_hold(world, seated["id"]))["status"] == "active"
    assert (await get_hold(world, places["id"]))["quantity"] == 4
