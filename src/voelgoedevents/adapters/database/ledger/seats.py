"""Conditional writes to ``event_seats``: each says which seats it is for and what they must
still look like, and returns the rows it changed with their new versions.

A writer that lost a race changes nothing and finds out from the rows returned (``fenced``: the
seat moved on from the version the writer saw; ``held_by``: the hold no longer holds it). On
PostgreSQL the rows are locked in (event id, seat id) order first, whatever index finds them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.database.base import table_of
from voelgoedevents.adapters.database.repositories.holds import SEAT_COLUMNS, SeatRow
from voelgoedevents.adapters.database.tables import EventSeat
from voelgoedevents.domain.ticketing.states import SeatState

_SEATS = table_of(EventSeat)

FREE = {"status": SeatState.AVAILABLE.value, "hold_id": None, "order_id": None, "held_until": None}


@dataclass(frozen=True)
class SeatTarget:
    """Which seats a write is for, and what they must still look like: a kind of condition
    (see ``_CONDITIONS``) with its parameters. Statements are built once per kind."""

    kind: str
    params: Mapping[str, Any]


def fenced(event_id: uuid.UUID, expected_versions: Mapping[uuid.UUID, int]) -> SeatTarget:
    """Match each seat only at the version the writer saw: the fencing value. A writer whose lock
    lease ran out while it was paused finds its versions outdated and changes nothing."""
    return SeatTarget(
        "fenced", {"p_event_id": event_id, "p_pairs": sorted(expected_versions.items())}
    )


def held_by(hold_id: uuid.UUID, seat_ids: Iterable[uuid.UUID] | None = None) -> SeatTarget:
    if seat_ids is None:
        return SeatTarget("held_by", {"p_hold_id": hold_id})
    return SeatTarget("held_by_seats", {"p_hold_id": hold_id, "p_seat_ids": sorted(seat_ids)})


def held_by_any(hold_ids: Iterable[uuid.UUID]) -> SeatTarget:
    return SeatTarget("held_by_any", {"p_hold_ids": sorted(hold_ids)})


def sold_by(order_id: uuid.UUID) -> SeatTarget:
    return SeatTarget("sold_by", {"p_order_id": order_id})


_CONDITIONS: dict[str, Callable[[], list[Any]]] = {
    "fenced": lambda: [
        _SEATS.c.event_id == sa.bindparam("p_event_id"),
        sa.tuple_(_SEATS.c.seat_id, _SEATS.c.version).in_(sa.bindparam("p_pairs", expanding=True)),
    ],
    "held_by": lambda: [
        _SEATS.c.hold_id == sa.bindparam("p_hold_id"),
        _SEATS.c.status == SeatState.HELD.value,
    ],
    "held_by_seats": lambda: [
        _SEATS.c.hold_id == sa.bindparam("p_hold_id"),
        _SEATS.c.status == SeatState.HELD.value,
        _SEATS.c.seat_id.in_(sa.bindparam("p_seat_ids", expanding=True)),
    ],
    "held_by_any": lambda: [
        _SEATS.c.hold_id.in_(sa.bindparam("p_hold_ids", expanding=True)),
        _SEATS.c.status == SeatState.HELD.value,
    ],
    "sold_by": lambda: [
        _SEATS.c.order_id == sa.bindparam("p_order_id"),
        _SEATS.c.status == SeatState.SOLD.value,
    ],
}
_UPDATES: dict[tuple[str, tuple[str, ...], bool], Any] = {}


def _update_statement(kind: str, columns: tuple[str, ...], lock_in_order: bool) -> Any:
    """Built once per (condition, columns): on the hot path, building SQLAlchemy statements
    costs more than running them."""
    key = (kind, columns, lock_in_order)
    statement = _UPDATES.get(key)
    if statement is None:
        where = _CONDITIONS[kind]()
        statement = sa.update(_SEATS).where(*where)
        if lock_in_order:
            locked = (
                sa.select(_SEATS.c.event_id, _SEATS.c.seat_id)
                .where(*where)
                .order_by(_SEATS.c.event_id, _SEATS.c.seat_id)
                .with_for_update()
                .cte("locked")
                .prefix_with("MATERIALIZED")
            )
            statement = statement.where(
                _SEATS.c.event_id == locked.c.event_id, _SEATS.c.seat_id == locked.c.seat_id
            )
        statement = statement.values(
            {
                **{name: sa.bindparam(f"new_{name}") for name in columns},
                "version": _SEATS.c.version + 1,
                "updated_at": sa.bindparam("new_updated_at"),
            }
        ).returning(*SEAT_COLUMNS)
        _UPDATES[key] = statement
    return statement


async def update_seats(
    session: AsyncSession, target: SeatTarget, values: Mapping[str, Any], now: datetime
) -> list[SeatRow]:
    """One conditional UPDATE; every changed row gets a new version and comes back.

    On PostgreSQL the rows are first locked in seat order (a materialized ``SELECT ... ORDER
    BY ... FOR UPDATE``), whatever index finds them: a release (found by hold) and a reserve
    (found by seat) touching the same seats then queue instead of deadlocking.
    """
    connection = await session.connection()
    statement = _update_statement(
        target.kind, tuple(sorted(values)), connection.dialect.name == "postgresql"
    )
    parameters = {
        **target.params,
        **{f"new_{name}": value for name, value in values.items()},
        "new_updated_at": now,
    }
    return [SeatRow(*row) for row in await connection.execute(statement, parameters)]
