"""The lists that used to answer everything at once, now a page at a time like every other list:
an organisation's keys, a layout's sections, a hold's and a seat's history.

Histories were plain lists cut after their OLDEST 500 changes, so a busy seat's newest changes
were lost; here a history well past that comes back whole and in order. Pages concatenate to
the whole list with no gap and no duplicate (also while changes are being added), limits and
cursors are checked like every list's, and another organisation's ids are 404 with or without a
cursor. Pure bookkeeping, so the embedded (SQLite) and database (PostgreSQL) modes.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from api.conftest import ApiWorld, bearer, build_world
from voelgoedevents.adapters.database.ledger import audit
from voelgoedevents.adapters.database.tables import ApiKey, SeatStateChange, Section
from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.ticketing.states import SeatState
from voelgoedevents.workflows.paging import ListScope, encode_cursor

from support.api import assert_problem, get_hold, hold_ok, sell_ok, standing_ok
from support.api_checks import check_pagination, cursor_of, invalid, walk_pages
from support.clock import ManualClock
from support.factories import small_document

pytestmark = pytest.mark.parametrize("hold_services", ["embedded", "database"], indirect=True)

FREE = 5  # B2 in the small document's seat-index order: free in every world


async def _ids(services: Services, statement: sa.Select[Any]) -> list[Any]:
    async with services.engine.connect() as connection:
        return list((await connection.execute(statement)).scalars())


async def _record_changes(
    services: Services,
    world: ApiWorld,
    seat: str,
    count: int,
    *,
    hold_id: str | None = None,
    now: Any,
) -> None:
    """``count`` changes of one seat, flipping it available -> blocked -> available ..., written
    by the audit trail's own writer in one commit (the API would take a request per change)."""
    flips = [(SeatState.AVAILABLE, SeatState.BLOCKED), (SeatState.BLOCKED, SeatState.AVAILABLE)]
    changes = [
        audit.Change(
            *flips[n % 2],
            seat_id=uuid.UUID(seat),
            hold_id=uuid.UUID(hold_id) if hold_id else None,
        )
        for n in range(count)
    ]
    async with services.uow() as uow:
        await audit.record(
            uow.session,
            organization_id=uuid.UUID(world.organization_id),
            event_id=uuid.UUID(world.event_id),
            changes=changes,
            actor="test:bulk",
            reason="bulk",
            now=now,
        )
        await uow.commit()


async def _get(world: ApiWorld, path: str, **params: Any) -> dict[str, Any]:
    answer = await world.call("GET", path, "read", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


# --- an organisation's keys -----------------------------------------------------------------


def _platform(world: ApiWorld) -> Any:
    async def call(method: str, path: str, role: str = "", **kwargs: Any) -> httpx.Response:
        headers = {**bearer(world.platform), **kwargs.pop("headers", {})}
        return await world.client.request(method, path, headers=headers, **kwargs)

    return call


async def test_an_organisations_keys_come_a_page_at_a_time(
    world: ApiWorld, hold_services: Services, clock: ManualClock
) -> None:
    call = _platform(world)
    path = f"/organizations/{world.organization_id}/keys"
    for step in range(5):  # two keys per instant: the cursor orders by time, then by id
        if step % 2 == 0:
            clock.advance(1)
        made = await call("POST", path, json={"name": f"till {step}", "role": "sales"})
        assert made.status_code == 201, made.text
    revoked = (await call("POST", path, json={"name": "gone", "role": "read"})).json()["key"]
    assert (await call("POST", f"/keys/{revoked['id']}/revoke")).status_code == 200
    # Another organisation's keys are never on this list.
    other = await build_world(world.client, hold_services)
    organisation = uuid.UUID(world.organization_id)
    stored = await _ids(
        hold_services,
        sa.select(ApiKey.id)
        .where(ApiKey.organization_id == organisation)
        .order_by(ApiKey.created_at, ApiKey.id),
    )
    expected = [str(key_id) for key_id in stored]
    assert len(expected) == 3 + 5 + 1  # the world's admin, sales and read keys, then these
    await check_pagination(call, path, expected, role="platform")
    listed = (await call("GET", path, params={"limit": 200})).json()["items"]
    assert [key["id"] for key in listed] == expected  # oldest first, revoked ones too
    assert {key["organization_id"] for key in listed} == {world.organization_id}
    assert revoked["id"] in {key["id"] for key in listed}
    theirs = (await call("GET", f"/organizations/{other.organization_id}/keys")).json()
    assert {key["organization_id"] for key in theirs["items"]} == {other.organization_id}
    assert not {key["id"] for key in theirs["items"]} & set(expected)
    default = (await call("GET", path)).json()  # default limit 50: all nine, no next page
    assert [key["id"] for key in default["items"]] == expected and default["next_cursor"] is None
    unknown = await call("GET", f"/organizations/{uuid.uuid4()}/keys", params={"limit": 1})
    assert_problem(unknown, 404, "not_found")


# --- a layout's sections --------------------------------------------------------------------


async def test_a_layouts_sections_come_a_page_at_a_time_with_their_blocks(
    world: ApiWorld, hold_services: Services
) -> None:
    path = f"/layouts/{world.layout_id}/sections"
    stored = await _ids(
        hold_services,
        sa.select(Section.id)
        .where(Section.layout_id == uuid.UUID(world.layout_id))
        .order_by(Section.position),
    )
    expected = [str(section_id) for section_id in stored]
    await check_pagination(world.call, path, expected)
    whole = await _get(world, path)
    assert whole["next_cursor"] is None
    assert [s["name"] for s in whole["items"]] == ["Stalls", "Balcony", "Standing"]  # document
    assert [[b["name"] for b in s["blocks"]] for s in whole["items"]] == [
        ["Row A", "Row B"],
        ["Row C"],
        [],
    ]
    # Each page carries its own sections' blocks, exactly as the whole list does.
    assert await walk_pages(world.call, path, limit=1, role="read") == whole["items"]
    first = await _get(world, path, limit=2)
    rest = await _get(world, path, limit=2, cursor=first["next_cursor"])
    assert first["items"] + rest["items"] == whole["items"] and rest["next_cursor"] is None


# --- histories ------------------------------------------------------------------------------


async def test_a_seat_history_longer_than_the_old_cut_comes_back_whole_and_in_order(
    world: ApiWorld, hold_services: Services, clock: ManualClock
) -> None:
    """The list used to stop after the oldest 500 changes: the newest, a block made through the
    API after 522 others, was not in it."""
    seat = world.seat_ids[FREE]
    path = f"/events/{world.event_id}/seats/{seat}/history"
    hold = await hold_ok(world, [seat])
    released = await world.call("POST", f"/holds/{hold['id']}/release", "sales")
    assert released.status_code == 200, released.text
    for _ in range(3):  # back to available after each even batch
        await _record_changes(hold_services, world, seat, 174, now=clock.advance(1))
    clock.advance(1)
    newest = await world.call(
        "POST", f"/events/{world.event_id}/seats/block", json={"seat_ids": [seat]}
    )
    assert newest.status_code == 200, newest.text
    stored = await _ids(
        hold_services,
        sa.select(SeatStateChange.id)
        .where(SeatStateChange.seat_id == uuid.UUID(seat))
        .order_by(SeatStateChange.id),
    )
    assert len(stored) == 2 + 3 * 174 + 1

    items = await walk_pages(world.call, path, limit=200, role="read")
    assert [change["id"] for change in items] == stored  # whole, oldest first
    steps = [(c["from_state"], c["to_state"], c["actor"]) for c in items]
    assert steps[:2] == [("available", "held", "key:sales"), ("held", "available", "key:sales")]
    assert steps[-1] == ("available", "blocked", "key:admin")  # the newest is there, last
    times = [c["at"] for c in items]
    assert times == sorted(times)
    assert {c["seat_id"] for c in items} == {seat}
    assert await walk_pages(world.call, path, limit=97, role="read") == items
    first = await _get(world, path)  # default limit 50
    assert len(first["items"]) == 50 and first["items"] == items[:50] and first["next_cursor"]


async def test_a_hold_history_pages_without_gaps_while_it_grows(
    world: ApiWorld, hold_services: Services, clock: ManualClock
) -> None:
    ids = world.seat_ids
    hold = await hold_ok(world, [ids[0], ids[1]])
    path = f"/holds/{hold['id']}/history"
    clock.advance(1)
    part = await world.call(
        "POST", f"/holds/{hold['id']}/release", "sales", json={"seat_ids": [ids[1]]}
    )
    assert part.status_code == 200, part.text
    first = await _get(world, path, limit=2)
    assert [c["to_state"] for c in first["items"]] == ["held", "held"] and first["next_cursor"]
    # A change made between two pages is on the later page: nothing skipped, nothing twice.
    clock.advance(1)
    order = await sell_ok(world, hold["id"])
    rest = await _get(world, path, limit=2, cursor=first["next_cursor"])
    assert rest["next_cursor"] is None
    steps = [
        (c["seat_id"], c["from_state"], c["to_state"], c["order_id"])
        for c in first["items"] + rest["items"]
    ]
    assert steps[2:] == [(ids[1], "held", "available", None), (ids[0], "held", "sold", order["id"])]
    stored = await _ids(
        hold_services,
        sa.select(SeatStateChange.id)
        .where(SeatStateChange.hold_id == uuid.UUID(hold["id"]))
        .order_by(SeatStateChange.id),
    )
    assert [c["id"] for c in first["items"] + rest["items"]] == stored
    await check_pagination(world.call, path, stored)

    # Longer than the largest page: every change, in order, over two pages.
    await _record_changes(hold_services, world, ids[2], 230, hold_id=hold["id"], now=clock())
    items = await walk_pages(world.call, path, limit=200, role="read")
    assert len(items) == 4 + 230
    assert [c["id"] for c in items[:4]] == stored
    assert [c["id"] for c in items] == sorted(c["id"] for c in items)
    assert {c["hold_id"] for c in items} == {hold["id"]}


async def test_list_cursors_are_their_own_lists(world: ApiWorld, hold_services: Services) -> None:
    """A cursor of another kind of list, or naming a row outside its column's range, is 422
    naming `cursor` (never a 500, never a silently wrong page)."""
    seat = world.seat_ids[FREE]
    hold = await hold_ok(world, [seat])
    seat_history = f"/events/{world.event_id}/seats/{seat}/history"
    hold_history = f"/holds/{hold['id']}/history"
    sections = f"/layouts/{world.layout_id}/sections"
    seats_path = f"/layouts/{world.layout_id}/seats"
    keys = f"/organizations/{world.organization_id}/keys"
    real = {
        "seats": (await _get(world, seats_path, limit=1))["next_cursor"],
        "sections": (await _get(world, sections, limit=1))["next_cursor"],
    }
    assert all(real.values()), real
    when = {"t": "2030-03-01T12:00:00+00:00", "i": str(uuid.uuid4())}
    forged: dict[str, list[Any]] = {
        "history": [
            real["seats"],
            real["sections"],
            cursor_of(when),
            *(cursor_of({"c": v}) for v in (-1, 2**63, True, 1.5, "1", None, [1])),
        ],
        "sections": [
            real["seats"],
            cursor_of(when),
            cursor_of({"c": 1}),
            *(cursor_of({"p": v}) for v in (-1, 2**31, True, 1.5, "1", None)),
        ],
        "keys": [real["seats"], real["sections"], cursor_of({"c": 1})],
    }
    for path, kind in (
        (seat_history, "history"),
        (hold_history, "history"),
        (sections, "sections"),
        (keys, "keys"),
    ):
        for cursor in forged[kind]:
            call = _platform(world) if kind == "keys" else world.call
            answer = await call("GET", path, "read", params={"cursor": cursor})
            invalid(answer, "cursor")
    # And the new cursors are foreign to the older lists.
    history_cursor = cursor_of({"c": 1})
    invalid(
        await world.call("GET", seats_path, "read", params={"cursor": real["sections"]}), "cursor"
    )
    invalid(await world.call("GET", "/events", "read", params={"cursor": history_cursor}), "cursor")
    # A cursor of this list that is well-formed but past the end is simply an empty last page.
    scope = ListScope(
        "history", (uuid.UUID(world.organization_id), None, None, uuid.UUID(hold["id"]))
    )
    end = encode_cursor(hold_services.settings.api.secret, scope, {"c": 2**63 - 1})
    beyond = await _get(world, hold_history, cursor=end)
    assert beyond == {"items": [], "next_cursor": None}


async def test_another_organisations_history_and_sections_are_not_found(
    world: ApiWorld, hold_services: Services
) -> None:
    seat = world.seat_ids[FREE]
    hold = await hold_ok(world, [seat])
    other = await build_world(world.client, hold_services)
    theirs_hold = await hold_ok(other, [other.seat_ids[FREE]])
    for path, cursor in (
        (f"/holds/{hold['id']}/history", {"c": 0}),
        (f"/events/{world.event_id}/seats/{seat}/history", {"c": 0}),
        # Their event, our seat: not a seat of their event's layout.
        (f"/events/{other.event_id}/seats/{seat}/history", {"c": 0}),
        (f"/layouts/{world.layout_id}/sections", {"p": 0}),
    ):
        for params in ({}, {"cursor": cursor_of(cursor), "limit": 1}):
            assert_problem(await other.call("GET", path, "read", params=params), 404, "not_found")
    # Sanity: the same calls work for the owner, and each sees only its own changes.
    mine = await _get(world, f"/holds/{hold['id']}/history")
    assert [c["hold_id"] for c in mine["items"]] == [hold["id"]]
    their_history = await _get(other, f"/holds/{theirs_hold['id']}/history")
    assert [c["hold_id"] for c in their_history["items"]] == [theirs_hold["id"]]
    assert (await _get(world, f"/layouts/{world.layout_id}/sections"))["items"]


# --- cursors belong to their list and its filters --------------------------------------------


async def test_a_cursor_belongs_to_its_list_and_its_filters(
    world: ApiWorld, hold_services: Services
) -> None:
    """A cursor of `/events` was accepted by `/venues` (both lists order by creation), and one
    of a filtered list by the same list under other filters: the next page silently came from
    another list. Now each is 422 naming `cursor`; the list's own cursor still continues it."""
    other_venue = (await world.call("POST", "/venues", json={"name": "Annex"})).json()["id"]
    assert (await world.call("POST", "/venues", json={"name": "Barn"})).status_code == 201
    second_layout = await world.call(
        "POST", f"/venues/{world.venue_id}/layouts", json=small_document()
    )
    assert second_layout.status_code == 201, second_layout.text
    event_body = {
        "venue_id": world.venue_id,
        "layout_id": world.layout_id,
        "name": "Matinee",
        "start_at": "2030-04-02T14:00:00Z",
        "end_at": "2030-04-02T17:00:00Z",
    }
    other_event = (await world.call("POST", "/events", json=event_body)).json()["id"]
    for seat in world.seat_ids[:2]:
        await hold_ok(world, [seat])
    holds = f"/events/{world.event_id}/holds"

    def first_cursor(page: dict[str, Any]) -> str:
        assert page["next_cursor"], page
        return str(page["next_cursor"])

    events = first_cursor(await _get(world, "/events", limit=1))
    first_layouts = await _get(world, "/layouts", venue_id=world.venue_id, limit=1)
    in_venue = first_cursor(first_layouts)
    active = first_cursor(await _get(world, holds, limit=1))
    foreign: list[tuple[str, dict[str, Any]]] = [
        ("/venues", {"cursor": events}),
        ("/layouts", {"cursor": events}),
        (f"/events/{world.event_id}/orders", {"cursor": events}),
        ("/layouts", {"cursor": in_venue}),  # without the filter it was given with
        ("/layouts", {"cursor": in_venue, "venue_id": other_venue}),
        (holds, {"cursor": active, "active": "false"}),
        (f"/events/{other_event}/holds", {"cursor": active}),
        (f"/events/{world.event_id}/ticket-types", {"cursor": active}),
        ("/events", {"cursor": events[:-2] + ("AA" if events[-2:] != "AA" else "BB")}),
        ("/events", {"cursor": events.split(".")[0]}),  # the position without its seal
    ]
    for path, params in foreign:
        invalid(await world.call("GET", path, "read", params=params), "cursor")
    # Another organisation's lists take none of ours.
    other = await build_world(world.client, hold_services)
    invalid(await other.call("GET", "/events", "read", params={"cursor": events}), "cursor")
    # Each cursor still continues its own list.
    assert len((await _get(world, "/events", cursor=events))["items"]) == 1
    following = await _get(world, "/layouts", venue_id=world.venue_id, cursor=in_venue)
    assert {layout["id"] for layout in first_layouts["items"] + following["items"]} == {
        world.layout_id,
        second_layout.json()["id"],
    }
    assert len((await _get(world, holds, cursor=active))["items"]) == 1


# --- the seats of listed holds and orders ---------------------------------------------------


async def test_listed_holds_and_orders_show_their_seats_as_reading_one_does(
    world: ApiWorld, hold_services: Services
) -> None:
    """`GET /events/{id}/holds` listed every seated hold with `seats: []` (and the orders list
    its orders the same way) while `GET /holds/{id}` named the seats: one schema, two truths.
    Now each listed hold and order is exactly what reading it alone answers."""
    ids = world.seat_ids
    pair = await hold_ok(world, [ids[0], ids[1]])
    places = await standing_ok(world, 2)
    sold = await hold_ok(world, [ids[2], ids[6]])
    order = await sell_ok(world, sold["id"])
    part = await hold_ok(world, [ids[5], ids[7]])
    released = await world.call(
        "POST", f"/holds/{part['id']}/release", "sales", json={"seat_ids": [ids[7]]}
    )
    assert released.status_code == 200, released.text
    gone = await hold_ok(world, [ids[8]])
    assert (await world.call("POST", f"/holds/{gone['id']}/release", "sales")).status_code == 200

    listed = await walk_pages(
        world.call, f"/events/{world.event_id}/holds", limit=2, role="read", active="false"
    )
    assert {hold["id"] for hold in listed} == {h["id"] for h in (pair, places, sold, part, gone)}
    for hold in listed:
        assert hold == await get_hold(world, hold["id"])
    by_id = {hold["id"]: hold for hold in listed}
    assert [s["seat_id"] for s in by_id[pair["id"]]["seats"]] == [ids[0], ids[1]]
    assert [s["seat_id"] for s in by_id[part["id"]]["seats"]] == [ids[5]]
    assert by_id[places["id"]]["quantity"] == 2
    active = await _get(world, f"/events/{world.event_id}/holds")
    assert {h["id"] for h in active["items"]} == {pair["id"], places["id"], part["id"]}
    assert active["items"] == [by_id[h["id"]] for h in active["items"]]

    orders = (await _get(world, f"/events/{world.event_id}/orders"))["items"]
    assert [o["id"] for o in orders] == [order["id"]]
    one = await world.call("GET", f"/orders/{order['id']}", "read")
    assert orders[0] == one.json()
    assert [s["seat_id"] for s in orders[0]["seats"]] == [ids[2], ids[6]]


async def test_a_page_of_holds_reads_its_seats_in_one_query(
    world: ApiWorld, hold_services: Services
) -> None:
    """Not one query per hold: a page of five holds reads the event's seats as often as a page
    of one."""
    for seat in world.seat_ids[:3] + world.seat_ids[4:6]:
        await hold_ok(world, [seat])
    path = f"/events/{world.event_id}/holds"
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "event_seats" in statement:
            statements.append(statement)

    await _get(world, path)  # the seat map and the key, loaded once and remembered
    engine = hold_services.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        counts = []
        for limit in (1, 5):
            statements.clear()
            page = await _get(world, path, limit=limit)
            assert len(page["items"]) == limit and all(h["seats"] for h in page["items"])
            counts.append(len(statements))
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    assert counts == [1, 1], counts
