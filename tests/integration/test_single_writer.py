"""Seat state changes only through the ledger.

Every statement that writes seat state (``event_seats``), standing counts
(``event_standing_areas``), the audit trail (``seat_state_changes``) or creates a hold or an
order is watched while every inventory use case runs once: each must have been issued from
inside ``adapters/database/ledger/``. The holds' and orders' own rows, changed as ORM objects
by the ledger, are written when the unit of work commits (its flush); those may come from the
commit, and nowhere else. (``tests/unit/test_architecture.py`` checks that no workflow sets a
hold's or an order's status itself.)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import greenlet
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from voelgoedevents.adapters.database.tables import EventSeat
from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.events.event import EventStatus
from voelgoedevents.workflows.events.event_status import change_event_status
from voelgoedevents.workflows.ticketing.block_seats import block_seats, unblock_seats
from voelgoedevents.workflows.ticketing.expire_holds import expire_due_holds
from voelgoedevents.workflows.ticketing.extend_hold import extend_hold
from voelgoedevents.workflows.ticketing.orders import cancel_order
from voelgoedevents.workflows.ticketing.release_seat import release_seat
from voelgoedevents.workflows.ticketing.sell_hold import sell_hold

from support.clock import ManualClock
from support.factories import on_sale_scenario
from support.holds import hold, seat_ids, standing_section

INVENTORY = {"event_seats", "event_standing_areas", "seat_state_changes"}
OWNERS = {"seat_holds", "orders"}
_WRITE = re.compile(r"\b(INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", re.IGNORECASE)
LEDGER = "/adapters/database/ledger/"
UNIT_OF_WORK = "/adapters/database/uow.py"


def _callers() -> list[str]:
    """The files of every frame up to the event loop: SQLAlchemy runs the driver in a greenlet,
    whose parent is suspended in the coroutines that asked for the statement."""
    files: list[str] = []
    current = greenlet.getcurrent()
    here: Any = current
    while here is not None:
        frame = sys._getframe() if here is current else here.gr_frame
        while frame is not None:
            files.append(frame.f_code.co_filename)
            frame = frame.f_back
        here = here.parent
    return files


@contextmanager
def watched_writes(services: Services) -> Iterator[list[tuple[str, str, list[str]]]]:
    """(verb, table, caller files) of every write to the watched tables."""
    writes: list[tuple[str, str, list[str]]] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        for verb, table in _WRITE.findall(statement):
            if table.lower() in INVENTORY | OWNERS:
                writes.append((verb.upper(), table.lower(), _callers()))

    event.listen(services.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield writes
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", before)


async def _every_use_case(services: Services, clock: ManualClock) -> None:
    scenario = await on_sale_scenario(services)  # create_event: the event's inventory
    org, event_id = scenario.org_id, scenario.event.id
    seats = await seat_ids(services, scenario)
    area = await standing_section(services, scenario)
    seated = await hold(services, scenario, seats[:3])
    clock.advance(60)
    await extend_hold(services, organization_id=org, hold_id=seated.id)
    await release_seat(services, organization_id=org, hold_id=seated.id, seat_ids=seats[:1])
    order = await sell_hold(services, organization_id=org, hold_id=seated.id)
    await cancel_order(services, organization_id=org, order_id=order.id, refund=True, actor="t")
    places = await hold(services, scenario, section_id=area, quantity=2)
    await release_seat(services, organization_id=org, hold_id=places.id, quantity=1)
    order = await sell_hold(services, organization_id=org, hold_id=places.id)
    await cancel_order(services, organization_id=org, order_id=order.id, actor="t")
    await block_seats(
        services, organization_id=org, event_id=event_id, seat_ids=seats[5:6], actor="t"
    )
    await unblock_seats(
        services, organization_id=org, event_id=event_id, seat_ids=seats[5:6], actor="t"
    )
    await hold(services, scenario, seats[6:7])
    await hold(services, scenario, section_id=area, quantity=1)
    clock.advance(3600)
    assert await expire_due_holds(services) == 2
    await hold(services, scenario, seats[7:8])
    await release_seat(
        services, organization_id=org, hold_id=(await hold(services, scenario, seats[8:9])).id
    )
    await change_event_status(
        services, organization_id=org, event_id=event_id, target=EventStatus.CANCELLED
    )


async def test_only_the_ledger_writes_seat_state(
    hold_services: Services, clock: ManualClock
) -> None:
    with watched_writes(hold_services) as writes:
        await _every_use_case(hold_services, clock)
    seen = {(verb, table) for verb, table, _ in writes}
    for table in INVENTORY:  # the watch saw the writes it is about
        assert ("UPDATE", table) in seen or table == "seat_state_changes", seen
        assert ("INSERT INTO", table) in seen, seen
    assert {("INSERT INTO", "seat_holds"), ("UPDATE", "seat_holds")} <= seen, seen
    assert {("INSERT INTO", "orders"), ("UPDATE", "orders")} <= seen, seen
    for verb, table, callers in writes:
        if any(LEDGER in path for path in callers):
            continue
        flushed = verb == "UPDATE" and table in OWNERS and any(UNIT_OF_WORK in p for p in callers)
        assert flushed, f"{verb} {table} written outside the ledger:\n" + "\n".join(
            path for path in callers if "voelgoedevents" in path or "/tests/" in path
        )


@pytest.mark.parametrize("hold_services", ["database", "embedded"], indirect=True)
async def test_the_watch_catches_a_write_outside_the_ledger(hold_services: Services) -> None:
    """The check above is not vacuous: a seat written directly (here, by the test) is seen, and
    traced to its writer through the driver's greenlet."""
    scenario = await on_sale_scenario(hold_services)
    with watched_writes(hold_services) as writes:
        async with hold_services.uow() as uow:
            await uow.session.execute(
                sa.update(EventSeat)
                .where(EventSeat.event_id == scenario.event.id, sa.false())
                .values(version=EventSeat.version + 1)
            )
    assert [(verb, table) for verb, table, _ in writes] == [("UPDATE", "event_seats")]
    callers = writes[0][2]
    assert not any(LEDGER in path for path in callers)
    assert any(path.endswith("test_single_writer.py") for path in callers)
