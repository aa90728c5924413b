"""Events through the API: create on a layout, read, list, and the whole lifecycle.

Creating, listing and the transition table are bookkeeping: embedded and database modes cover
both databases. Postponing, rescheduling and cancelling change what buyers may do to seats (and
cancelling frees held seats in the cache too), so those run in all three modes.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from api.conftest import ApiWorld
from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.adapters.database.tables import Event, EventSeat, EventStandingArea, SeatHold
from voelgoedevents.bootstrap import Services
from voelgoedevents.workflows.ticketing.cache_sync import verify_event_cache

from support.api_checks import (
    check_pagination,
    db_row,
    invalid,
    matches_row,
    problem,
    scalar,
    seat_states,
)
from support.clock import ManualClock
from support.factories import table_counts

CRUD_MODES = pytest.mark.parametrize("hold_services", ["embedded", "database"], indirect=True)
EVENT_FIELDS = ("id", "venue_id", "layout_id", "name", "description", "status", "start_at")
EVENT_FIELDS += ("end_at", "sale_start_at", "sale_end_at", "rescheduled_at", "capacity")
EVENT_FIELDS += ("settings", "created_at", "updated_at")

# The lifecycle as the API promises it: action -> the status it leads to, and from where.
ACTIONS = {
    "publish": "published",
    "go-live": "live",
    "postpone": "postponed",
    "cancel": "cancelled",
    "end": "ended",
    "archive": "archived",
}
ALLOWED = {
    "draft": {"publish", "cancel"},
    "published": {"go-live", "postpone", "cancel", "end"},
    "live": {"end", "postpone", "cancel"},
    "postponed": {"publish", "go-live", "cancel"},
    "ended": {"archive"},
    "cancelled": {"archive"},
    "archived": set(),
}
ROUTE_TO = {
    "draft": [],
    "published": ["publish"],
    "live": ["publish", "go-live"],
    "postponed": ["publish", "postpone"],
    "ended": ["publish", "end"],
    "cancelled": ["cancel"],
    "archived": ["cancel", "archive"],
}


def event_body(world: ApiWorld, **changes: Any) -> dict[str, Any]:
    return {
        "venue_id": world.venue_id,
        "layout_id": world.layout_id,
        "name": "Matinee",
        "start_at": "2030-04-02T14:00:00Z",
        "end_at": "2030-04-02T17:00:00Z",
        "sale_start_at": "2030-02-01T00:00:00Z",
        **changes,
    }


async def new_event(world: ApiWorld, *actions: str, **changes: Any) -> dict[str, Any]:
    made = await world.call("POST", "/events", json=event_body(world, **changes))
    assert made.status_code == 201, made.text
    event: dict[str, Any] = made.json()
    for action in actions:
        moved = await world.call("POST", f"/events/{event['id']}/{action}")
        assert moved.status_code == 200, (action, moved.text)
        event = moved.json()
    return event


async def hold(world: ApiWorld, event_id: str, **body: Any) -> Any:
    return await world.call(
        "POST", f"/events/{event_id}/holds", "sales", json={"holder_ref": "buyer", **body}
    )


@CRUD_MODES
async def test_create_on_an_active_layout_gives_the_event_its_seats(
    world: ApiWorld, hold_services: Services
) -> None:
    event = await new_event(world, description="Family show", settings={"hold_seconds": 300})
    assert (event["status"], event["capacity"], event["rescheduled_at"]) == ("draft", 62, None)
    assert (event["name"], event["settings"]) == ("Matinee", {"hold_seconds": 300})
    row = await db_row(hold_services, Event, event["id"])
    matches_row(event, row, *EVENT_FIELDS)
    assert str(row["organization_id"]) == world.organization_id
    fetched = await world.call("GET", f"/events/{event['id']}", "read")
    assert fetched.status_code == 200 and fetched.json() == event
    states = await seat_states(hold_services, event["id"])
    blocked_by_layout = world.seat_ids[3]  # A4, a pillar
    assert states == {
        seat: ("blocked" if seat == blocked_by_layout else "available") for seat in world.seat_ids
    }
    standing = sa.select(EventStandingArea.capacity, EventStandingArea.held_count).where(
        EventStandingArea.event_id == uuid.UUID(event["id"])
    )
    async with hold_services.engine.connect() as connection:
        assert (await connection.execute(standing)).all() == [(50, 0)]

    general = await world.call(
        "POST", "/events", json=event_body(world, layout_id=None, capacity=300, name="Picnic")
    )
    assert general.status_code == 201 and general.json()["capacity"] == 300
    assert await seat_states(hold_services, general.json()["id"]) == {}


@CRUD_MODES
async def test_create_refusals_store_nothing(world: ApiWorld, hold_services: Services) -> None:
    draft = (await world.call("POST", f"/venues/{world.venue_id}/layouts", json=_tiny())).json()
    archived = (await world.call("POST", f"/venues/{world.venue_id}/layouts", json=_tiny())).json()
    await world.call("POST", f"/layouts/{archived['id']}/archive")
    elsewhere = (await world.call("POST", "/venues", json={"name": "Annex"})).json()["id"]
    before = await table_counts(hold_services)
    for layout_id, status in ((draft["id"], "draft"), (archived["id"], "archived")):
        body = event_body(world, layout_id=layout_id)
        response = problem(await world.call("POST", "/events", json=body), 409, "layout_not_active")
        assert response["detail"].endswith(f"(this one is {status})")
    for changes, field in (
        ({"end_at": "2030-04-02T13:00:00Z"}, "end_at"),
        ({"end_at": "2030-04-02T14:00:00Z"}, "end_at"),
        ({"sale_end_at": "2030-04-03T00:00:00Z"}, "sale_end_at"),
        (
            {"sale_start_at": "2030-03-01T00:00:00Z", "sale_end_at": "2030-02-01T00:00:00Z"},
            "sale_end_at",
        ),
        ({"start_at": "2030-04-02T14:00:00"}, "start_at"),  # no time zone
        ({"start_at": "next tuesday"}, "start_at"),
        ({"capacity": 10}, "capacity"),  # a seated event has its layout's capacity
        ({"capacity": -1}, "capacity"),
        ({"name": ""}, "name"),
        ({"settings": {"max_seats_per_booking": 0}}, "settings.max_seats_per_booking"),
        ({"venue_id": "hall"}, "venue_id"),
        ({"venue_id": elsewhere}, "layout_id"),  # the layout belongs to another venue
        ({"status": "live"}, "status"),
    ):
        invalid(await world.call("POST", "/events", json=event_body(world, **changes)), field)
    missing = {k: v for k, v in event_body(world).items() if k != "start_at"}
    invalid(await world.call("POST", "/events", json=missing), "start_at")
    unknown = event_body(world, venue_id=str(uuid.uuid4()))
    problem(await world.call("POST", "/events", json=unknown), 404, "not_found")
    assert await table_counts(hold_services) == before


def _tiny() -> dict[str, Any]:
    return {
        "name": "Tiny",
        "total_capacity": 5,
        "sections": [{"name": "Lawn", "type": "standing", "capacity": 5}],
    }


@CRUD_MODES
async def test_list_events(world: ApiWorld, clock: ManualClock) -> None:
    expected = [world.event_id]
    for number in range(4):
        clock.advance(number % 2)
        expected.append((await new_event(world, name=f"Show {number}"))["id"])
    await check_pagination(world.call, "/events", expected)


@CRUD_MODES
async def test_every_transition_is_allowed_or_refused_with_409(
    world: ApiWorld, hold_services: Services
) -> None:
    for status, route in ROUTE_TO.items():
        event = await new_event(world, *route)
        assert event["status"] == status
        before = await db_row(hold_services, Event, event["id"])
        for action in sorted(set(ACTIONS) - ALLOWED[status]):
            response = await world.call("POST", f"/events/{event['id']}/{action}")
            body = problem(response, 409, "invalid_transition")
            assert (body["current"], body["target"]) == (status, ACTIONS[action])
        if status != "postponed":
            dates = {"start_at": "2030-05-01T19:00:00Z", "end_at": "2030-05-01T22:00:00Z"}
            response = await world.call("POST", f"/events/{event['id']}/reschedule", json=dates)
            problem(response, 409, "invalid_transition")
        assert await db_row(hold_services, Event, event["id"]) == before  # refused: untouched
        for action in sorted(ALLOWED[status]):
            moved_from = await new_event(world, *route)
            response = await world.call("POST", f"/events/{moved_from['id']}/{action}")
            assert response.status_code == 200, (status, action, response.text)
            assert response.json()["status"] == ACTIONS[action]
            row = await db_row(hold_services, Event, moved_from["id"])
            matches_row(response.json(), row, *EVENT_FIELDS)


async def test_postpone_keeps_holds_and_stops_sales_until_rescheduled(
    world: ApiWorld, hold_services: Services, clock: ManualClock
) -> None:
    event_id, seats = world.event_id, world.seat_ids
    kept = (await hold(world, event_id, seat_ids=seats[:1])).json()
    postponed = await world.call("POST", f"/events/{event_id}/postpone")
    assert postponed.json()["status"] == "postponed"
    assert postponed.json()["rescheduled_at"] is None
    problem(await hold(world, event_id, seat_ids=seats[1:2]), 409, "event_not_on_sale")
    problem(
        await world.call("POST", f"/holds/{kept['id']}/order", "sales"), 409, "event_not_on_sale"
    )
    assert (await world.call("GET", f"/holds/{kept['id']}", "read")).json()["status"] == "active"
    assert (await seat_states(hold_services, event_id))[seats[0]] == "held"

    before = await db_row(hold_services, Event, event_id)
    for body, field in (
        ({"start_at": "2030-06-01T19:00:00Z"}, "end_at"),
        ({"start_at": "2030-06-01T19:00:00Z", "end_at": "2030-06-01T18:00:00Z"}, "end_at"),
        ({"start_at": "2030-06-01T19:00:00", "end_at": "2030-06-01T22:00:00Z"}, "start_at"),
        (
            {"start_at": "2030-06-01T19:00:00Z", "end_at": "2030-06-02T00:00:00Z", "venue": "x"},
            "venue",
        ),
    ):
        invalid(await world.call("POST", f"/events/{event_id}/reschedule", json=body), field)
    assert await db_row(hold_services, Event, event_id) == before

    clock.advance(60)  # well inside the hold's ten minutes
    new_dates = {"start_at": "2030-06-01T19:00:00Z", "end_at": "2030-06-01T22:00:00Z"}
    rescheduled = await world.call("POST", f"/events/{event_id}/reschedule", json=new_dates)
    assert rescheduled.status_code == 200, rescheduled.text
    event = rescheduled.json()
    assert (event["status"], event["start_at"], event["end_at"]) == (
        "published",  # it sells again: its status says so (it said `postponed`)
        "2030-06-01T19:00:00Z",
        "2030-06-01T22:00:00Z",
    )
    row = await db_row(hold_services, Event, event_id)
    matches_row(event, row, *EVENT_FIELDS)
    assert row["rescheduled_at"] == clock.now
    assert (await hold(world, event_id, seat_ids=seats[1:2])).status_code == 201
    sold = await world.call("POST", f"/holds/{kept['id']}/order", "sales")
    assert sold.status_code == 201, sold.text


async def test_an_event_rescheduled_before_reschedules_republished_is_published_too(
    world: ApiWorld, hold_services: Services, clock: ManualClock
) -> None:
    """Events rescheduled earlier are stored `postponed` with `rescheduled_at` set. They still
    sell, and now read and move as the published events they are; a new postponement clears
    the date and stops sales as for any other event."""
    event_id, seats = world.event_id, world.seat_ids
    assert (await world.call("POST", f"/events/{event_id}/postpone")).status_code == 200
    async with hold_services.engine.begin() as connection:
        await connection.execute(
            sa.update(Event).where(Event.id == uuid.UUID(event_id)).values(rescheduled_at=clock.now)
        )
    read = (await world.call("GET", f"/events/{event_id}", "read")).json()
    assert (read["status"], read["rescheduled_at"] is not None) == ("published", True)
    listed = (await world.call("GET", "/events", "read")).json()["items"]
    assert [e["status"] for e in listed if e["id"] == event_id] == ["published"]
    assert (await hold(world, event_id, seat_ids=seats[:1])).status_code == 201
    dates = {"start_at": "2030-06-01T19:00:00Z", "end_at": "2030-06-01T22:00:00Z"}
    again = await world.call("POST", f"/events/{event_id}/reschedule", json=dates)
    problem(again, 409, "invalid_transition")  # published: postpone it first
    postponed = await world.call("POST", f"/events/{event_id}/postpone")
    assert (postponed.json()["status"], postponed.json()["rescheduled_at"]) == ("postponed", None)
    problem(await hold(world, event_id, seat_ids=seats[1:2]), 409, "event_not_on_sale")
    live = await world.call("POST", f"/events/{event_id}/reschedule", json=dates)
    assert live.json()["status"] == "published"
    assert (await world.call("POST", f"/events/{event_id}/go-live")).json()["status"] == "live"


async def test_cancel_expires_every_active_hold_and_refuses_new_ones(
    world: ApiWorld, hold_services: Services
) -> None:
    event_id, seats = world.event_id, world.seat_ids
    held = (await hold(world, event_id, seat_ids=seats[:2])).json()
    places = (await hold(world, event_id, section_id=world.standing_section_id, quantity=3)).json()
    bought = (await hold(world, event_id, seat_ids=seats[4:5])).json()
    assert (await world.call("POST", f"/holds/{bought['id']}/order", "sales")).status_code == 201

    cancelled = await world.call("POST", f"/events/{event_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    for hold_id in (held["id"], places["id"]):
        row = await db_row(hold_services, SeatHold, hold_id)
        assert (row["status"].value, row["cancellation_reason"]) == ("expired", "event_cancelled")
        shown = (await world.call("GET", f"/holds/{hold_id}", "read")).json()
        assert (shown["status"], shown["cancellation_reason"]) == ("expired", "event_cancelled")
    states = await seat_states(hold_services, event_id)
    assert [states[seat] for seat in seats[:5]] == ["available"] * 2 + ["available", "blocked"] + [
        "sold"
    ]
    area = sa.select(EventStandingArea.held_count).where(
        EventStandingArea.event_id == uuid.UUID(event_id)
    )
    assert await scalar(hold_services, area) == 0
    inventory = (await world.call("GET", f"/events/{event_id}/inventory", "read")).json()
    counts = {s["name"]: (s["available"], s["held"], s["sold"]) for s in inventory["sections"]}
    assert counts["Stalls"] == (6, 0, 1) and counts["Standing"] == (50, 0, 0)
    report = await verify_event_cache(
        hold_services, EventKey(uuid.UUID(world.organization_id), uuid.UUID(event_id)), repair=False
    )
    assert report.drift == 0, report

    before = await table_counts(hold_services)
    problem(await hold(world, event_id, seat_ids=seats[5:6]), 409, "event_not_on_sale")
    problem(
        await hold(world, event_id, section_id=world.standing_section_id, quantity=1),
        409,
        "event_not_on_sale",
    )
    assert await table_counts(hold_services) == before
    active = await world.call("GET", f"/events/{event_id}/holds", "read")
    assert active.json() == {"items": [], "next_cursor": None}
    seat_rows = (
        sa.select(sa.func.count())
        .select_from(EventSeat)
        .where(EventSeat.event_id == uuid.UUID(event_id), EventSeat.status == "held")
    )
    assert await scalar(hold_services, seat_rows) == 0


async def test_live_sells_ended_and_archived_do_not(
    world: ApiWorld, hold_services: Services
) -> None:
    event_id, seats = world.event_id, world.seat_ids
    live = await world.call("POST", f"/events/{event_id}/go-live")
    assert live.json()["status"] == "live"
    kept = await hold(world, event_id, seat_ids=seats[:1])
    assert kept.status_code == 201, kept.text
    for action, status in (("end", "ended"), ("archive", "archived")):
        moved = await world.call("POST", f"/events/{event_id}/{action}")
        assert moved.status_code == 200 and moved.json()["status"] == status
        assert (await db_row(hold_services, Event, event_id))["status"].value == status
        before = await table_counts(hold_services)
        problem(await hold(world, event_id, seat_ids=seats[1:2]), 409, "event_not_on_sale")
        order = await world.call("POST", f"/holds/{kept.json()['id']}/order", "sales")
        problem(order, 409, "event_not_on_sale")
        assert await table_counts(hold_services) == before
    assert (await seat_states(hold_services, event_id))[seats[1]] == "available"
