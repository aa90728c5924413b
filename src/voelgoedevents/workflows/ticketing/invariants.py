"""The invariant checker: does an event's inventory, and its whole history, make sense?

Read-only. Used by the tests after every storm, by the benchmarks after every run, and by
operators (``voelgoed check event``). Each problem is one line a person can act on.

1. The audit trail of every seat replays through the state machine: each change starts from
   the state the previous one left, and a held seat changes holder only once its hold lapsed.
   So no seat ever had two live holders.
2. Every seat ends in the state its last recorded change left it in.
3. Owners agree: a held seat's hold is active, a sold seat's order completed.
4. Standing areas: held places equal the active holds' quantities, sold places the completed
   orders' quantities, and nothing exceeds capacity.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from voelgoedevents.adapters.database.repositories.inventory import EventHistory
from voelgoedevents.adapters.database.tables import EventSeat, Order, SeatHold, SeatStateChange
from voelgoedevents.domain.ticketing.states import HoldStatus, OrderStatus, SeatState
from voelgoedevents.workflows.services import Services


@dataclass
class InvariantReport:
    event_id: uuid.UUID
    seats: int = 0
    changes: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def check_event(
    services: Services, *, organization_id: uuid.UUID, event_id: uuid.UUID
) -> InvariantReport:
    await services.seat_maps.event(organization_id, event_id)  # NotFound for other tenants
    report = InvariantReport(event_id)
    async with services.uow() as uow:
        recorded = await uow.inventory.history(event_id)
    holds, orders = recorded.holds, recorded.orders
    _check_standing(recorded, report)
    report.seats, report.changes = len(recorded.seats), len(recorded.changes)
    by_seat: dict[uuid.UUID, list[SeatStateChange]] = defaultdict(list)
    for change in recorded.changes:
        if change.seat_id is not None:
            by_seat[change.seat_id].append(change)
    held_until = {hold.id: hold.held_until for hold in holds.values()}
    for seat in recorded.seats:
        history = by_seat.get(seat.seat_id, [])
        report.problems += replay(history, held_until)
        if history and history[-1].to_state is not seat.status:
            report.problems.append(
                f"seat {seat.seat_id}: is {seat.status.value}, last change says "
                f"{history[-1].to_state.value}"
            )
        report.problems += _owner_problems(seat, holds, orders)
    return report


def replay(history: list[SeatStateChange], held_until: dict[uuid.UUID, datetime]) -> list[str]:
    """Walk one seat's changes through the state machine; every step must be legal."""
    state, owner = SeatState.AVAILABLE, None
    problems = []
    for change in history:
        where = f"seat {change.seat_id}, change {change.id}"
        if change.from_state is SeatState.HELD and change.to_state is SeatState.HELD:
            lapsed = owner is not None and held_until.get(owner, change.occurred_at) <= (
                change.occurred_at
            )
            if state is not SeatState.HELD or not lapsed:
                problems.append(f"{where}: taken from hold {owner} before it lapsed")
        elif change.from_state is not state:
            problems.append(
                f"{where}: recorded from {change.from_state.value}, but the seat was {state.value}"
            )
        freed = change.from_state is SeatState.HELD and change.to_state is not SeatState.HELD
        if freed and change.hold_id != owner:
            problems.append(f"{where}: freed by hold {change.hold_id}, held by {owner}")
        if change.to_state is SeatState.HELD:
            owner = change.hold_id
        elif change.to_state is SeatState.SOLD:
            owner = change.order_id
        else:
            owner = None
        state = change.to_state
    return problems


def _owner_problems(
    seat: EventSeat, holds: dict[uuid.UUID, SeatHold], orders: dict[uuid.UUID, Order]
) -> list[str]:
    if seat.status is SeatState.HELD:
        hold = holds.get(seat.hold_id) if seat.hold_id else None
        if hold is None or hold.status is not HoldStatus.ACTIVE:
            status = hold.status.value if hold else "missing"
            return [f"seat {seat.seat_id}: held by hold {seat.hold_id}, which is {status}"]
    if seat.status is SeatState.SOLD:
        order = orders.get(seat.order_id) if seat.order_id else None
        if order is None or order.status is not OrderStatus.COMPLETED:
            status = order.status.value if order else "missing"
            return [f"seat {seat.seat_id}: sold in order {seat.order_id}, which is {status}"]
    return []


def _check_standing(recorded: EventHistory, report: InvariantReport) -> None:
    held: dict[uuid.UUID, int] = defaultdict(int)
    sold: dict[uuid.UUID, int] = defaultdict(int)
    for hold in recorded.holds.values():
        if hold.section_id is None:
            continue
        if hold.status is HoldStatus.ACTIVE:
            held[hold.section_id] += hold.quantity
        order = recorded.orders.get(hold.order_id) if hold.order_id else None
        if order is not None and order.status is OrderStatus.COMPLETED:
            sold[hold.section_id] += order.quantity
    for area in recorded.areas:
        if (area.held_count, area.sold_count) != (held[area.section_id], sold[area.section_id]):
            report.problems.append(
                f"standing {area.section_id}: counts held {area.held_count} sold "
                f"{area.sold_count}, holds and orders say {held[area.section_id]} and "
                f"{sold[area.section_id]}"
            )
        if area.held_count + area.sold_count + area.blocked_count > area.capacity:
            report.problems.append(f"standing {area.section_id}: oversold")
