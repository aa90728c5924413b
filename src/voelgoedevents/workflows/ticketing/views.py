"""What the ticketing workflows answer."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from voelgoedevents.adapters.database.tables import Order, SeatHold
from voelgoedevents.domain.seating.seat_map import LayoutSeatMap
from voelgoedevents.domain.ticketing.hold import seconds_left


@dataclass(frozen=True)
class SeatLabel:
    """A seat as a buyer reads it on the ticket."""

    seat_id: uuid.UUID
    section_id: uuid.UUID
    section: str
    block: str
    row: str
    number: str


def seat_labels(seat_map: LayoutSeatMap | None, seat_ids: Iterable[uuid.UUID]) -> list[SeatLabel]:
    if seat_map is None:
        return []
    labels = []
    for seat_id in seat_ids:
        seat = seat_map.seats[seat_id]
        labels.append(
            SeatLabel(
                seat_id=seat_id,
                section_id=seat.section_id,
                section=seat_map.sections[seat.section_id].name,
                block=seat_map.block_names[seat.block_id],
                row=seat.row,
                number=seat.number,
            )
        )
    labels.sort(key=lambda label: seat_map.seats[label.seat_id].index)
    return labels


@dataclass(frozen=True)
class HoldView:
    id: uuid.UUID
    event_id: uuid.UUID
    status: str
    holder_ref: str
    source: str
    held_until: datetime
    seconds_left: int
    seats: list[SeatLabel]
    section_id: uuid.UUID | None
    quantity: int
    order_id: uuid.UUID | None
    cancellation_reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, hold: SeatHold, seats: list[SeatLabel], now: datetime) -> HoldView:
        live = hold.status.value == "active"
        return cls(
            id=hold.id,
            event_id=hold.event_id,
            status=hold.status.value,
            holder_ref=hold.holder_ref,
            source=hold.source.value,
            held_until=hold.held_until,
            seconds_left=seconds_left(hold.held_until, now) if live else 0,
            seats=seats,
            section_id=hold.section_id,
            quantity=hold.quantity,
            order_id=hold.order_id,
            cancellation_reason=hold.cancellation_reason,
            created_at=hold.created_at,
        )


@dataclass(frozen=True)
class OrderView:
    id: uuid.UUID
    event_id: uuid.UUID
    status: str
    holder_ref: str
    seats: list[SeatLabel]
    quantity: int
    total_amount: Decimal | None
    currency: str | None
    cancellation_reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, order: Order, seats: list[SeatLabel]) -> OrderView:
        return cls(
            id=order.id,
            event_id=order.event_id,
            status=order.status.value,
            holder_ref=order.holder_ref,
            seats=seats,
            quantity=order.quantity,
            total_amount=order.total_amount,
            currency=order.currency,
            cancellation_reason=order.cancellation_reason,
            created_at=order.created_at,
        )
