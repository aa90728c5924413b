"""The reserve's write, on PostgreSQL, as one statement: the hold, its seats, their audit rows.

A reserve is the hot path of an on-sale, and each statement costs a round trip and a pass
through the driver, which on a small machine cost more than the SQL. Data-modifying CTEs let
PostgreSQL do in one statement what would otherwise take three:

    WITH locked  AS MATERIALIZED (SELECT ... the seats at the versions expected, FOR UPDATE,
                                  in seat order),
         new_hold AS (INSERT INTO seat_holds ...),
         changed AS (UPDATE event_seats ... FROM locked ... RETURNING ..., the state before),
         audit   AS (INSERT INTO seat_state_changes ... SELECT ... FROM changed)
    SELECT * FROM changed

The guarantees are those of ``seats.update_seats`` with the ``fenced`` target: a seat changes
only at the version the writer saw, and the ledger compares the rows returned with the seats
asked for (a shortfall means a race was lost: it raises, and the transaction, hold and audit
rows included, rolls back). The foreign key from the seats to the new hold is checked at the end
of the statement, when the hold row exists. SQLite has no data-modifying CTEs: the ledger runs
the same three steps one by one there (``update_seats``, ``audit.record``). Private to the
ledger (``holding.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.database.base import table_of
from voelgoedevents.adapters.database.tables import EventSeat, SeatHold, SeatStateChange
from voelgoedevents.domain.ticketing.states import SeatState

_SEATS = table_of(EventSeat)
_HOLDS = table_of(SeatHold)
_CHANGES = table_of(SeatStateChange)


@dataclass(frozen=True)
class HeldSeat:
    seat_id: uuid.UUID
    seat_index: int
    version: int
    status: SeatState
    held_until: datetime | None
    before: SeatState


def _build(*, guarded: bool = True) -> sa.Select[Any]:
    """``guarded=False`` drops the version fence and the row locks: only the concurrency tests
    build that, to show the double booking the guard prevents."""
    fenced = [
        _SEATS.c.event_id == sa.bindparam("p_event_id", type_=sa.Uuid),
        sa.tuple_(_SEATS.c.seat_id, _SEATS.c.version).in_(sa.bindparam("p_pairs", expanding=True))
        if guarded
        else _SEATS.c.seat_id.in_(sa.bindparam("p_seat_ids", expanding=True)),
    ]
    seats = (
        sa.select(_SEATS.c.event_id, _SEATS.c.seat_id, _SEATS.c.status.label("before"))
        .where(*fenced)
        .order_by(_SEATS.c.event_id, _SEATS.c.seat_id)
    )
    locked = (seats.with_for_update() if guarded else seats).cte("locked")
    locked = locked.prefix_with("MATERIALIZED")
    new_hold = (
        sa.insert(_HOLDS)
        .values({c.name: sa.bindparam(f"h_{c.name}", type_=c.type) for c in _HOLDS.c})
        .returning(_HOLDS.c.id)
        .cte("new_hold")
    )
    changed = (
        sa.update(_SEATS)
        .where(
            *fenced,
            _SEATS.c.event_id == locked.c.event_id,
            _SEATS.c.seat_id == locked.c.seat_id,
        )
        .values(
            status=SeatState.HELD.value,
            hold_id=sa.bindparam("h_id"),
            held_until=sa.bindparam("h_held_until"),
            order_id=None,
            version=_SEATS.c.version + 1,
            updated_at=sa.bindparam("h_updated_at"),
        )
        .returning(
            _SEATS.c.seat_id,
            _SEATS.c.seat_index,
            _SEATS.c.version,
            _SEATS.c.status,
            _SEATS.c.held_until,
            locked.c.before,
        )
        .cte("changed")
    )
    audit = (
        sa.insert(_CHANGES)
        .from_select(
            [
                "organization_id",
                "event_id",
                "seat_id",
                "quantity",
                "from_state",
                "to_state",
                "hold_id",
                "actor",
                "reason",
                "occurred_at",
            ],
            sa.select(
                sa.bindparam("h_organization_id"),
                sa.bindparam("h_event_id"),
                changed.c.seat_id,
                sa.literal(1),
                changed.c.before,
                sa.bindparam("a_to_state", type_=_CHANGES.c.to_state.type),
                sa.bindparam("h_id"),
                sa.bindparam("a_actor", type_=_CHANGES.c.actor.type),
                sa.bindparam("a_reason", type_=_CHANGES.c.reason.type),
                sa.bindparam("h_created_at"),
            ).select_from(changed),
        )
        .cte("audit")
    )
    return sa.select(changed).add_cte(new_hold, audit)


_HOLD_SEATS = _build()


async def insert_hold_and_hold_seats(
    session: AsyncSession,
    hold: Mapping[str, Any],
    expected_versions: Mapping[uuid.UUID, int],
    *,
    actor: str,
) -> list[HeldSeat]:
    """Insert ``hold`` (every column's value), and hold each seat still at its expected version
    for it, with an audit row per seat changed (occurring at the hold's ``created_at``). Returns
    the seats changed; fewer than expected means a race was lost."""
    connection = await session.connection()
    parameters = {
        **{f"h_{column.name}": hold.get(column.name) for column in _HOLDS.c},
        "p_event_id": hold["event_id"],
        "p_pairs": sorted(expected_versions.items()),
        "p_seat_ids": sorted(expected_versions),
        "a_to_state": SeatState.HELD,
        "a_actor": actor[:200],
        "a_reason": "reserved",
    }
    rows = await connection.execute(_HOLD_SEATS, parameters)
    return [HeldSeat(*row) for row in rows]
