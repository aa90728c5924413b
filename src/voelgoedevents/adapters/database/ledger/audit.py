"""The audit trail's writer: one row per seat (or per quantity of standing places) changed,
in the same transaction as the change. Only the ledger writes it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.database.base import table_of
from voelgoedevents.adapters.database.tables import SeatStateChange
from voelgoedevents.domain.ticketing.states import SeatState

_CHANGES = table_of(SeatStateChange)


@dataclass(frozen=True)
class Change:
    """One seat (or a quantity of standing places) moving from one state to another."""

    from_state: SeatState
    to_state: SeatState
    seat_id: uuid.UUID | None = None
    section_id: uuid.UUID | None = None
    quantity: int = 1
    hold_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None


async def record(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    changes: Sequence[Change],
    actor: str,
    reason: str,
    now: datetime,
) -> None:
    if not changes:
        return
    await session.execute(
        sa.insert(_CHANGES),
        [
            {
                "organization_id": organization_id,
                "event_id": event_id,
                "seat_id": change.seat_id,
                "section_id": change.section_id,
                "ticket_type_id": None,
                "quantity": change.quantity,
                "from_state": change.from_state.value,
                "to_state": change.to_state.value,
                "hold_id": change.hold_id,
                "order_id": change.order_id,
                "actor": actor[:200],
                "reason": reason[:100],
                "occurred_at": now,
            }
            for change in changes
        ],
    )
