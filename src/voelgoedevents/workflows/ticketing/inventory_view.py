"""Reading inventory: an event's whole seat map, a hold, the audit trail.

The map is read from the cache when it can be trusted (rebuilt from the database on a miss), and
from the database otherwise. Either way it is two bits per seat in seat-index order: 100,000
seats fit in 25 KB.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from voelgoedevents.adapters.cache.port import (
    CachedInventory,
    CacheUnavailable,
    EventKey,
    pack_states,
    unpack_state,
)
from voelgoedevents.adapters.database.tables import SeatStateChange
from voelgoedevents.domain.seating.seat_map import LayoutSeatMap
from voelgoedevents.domain.seating.section import SectionType
from voelgoedevents.domain.ticketing.states import SeatState
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.cache_sync import rebuild_event_cache, snapshot
from voelgoedevents.workflows.ticketing.views import HoldView, seat_labels


@dataclass(frozen=True)
class SectionCounts:
    section_id: uuid.UUID
    name: str
    type: str
    capacity: int
    available: int
    held: int
    sold: int
    blocked: int


@dataclass(frozen=True)
class InventoryView:
    event_id: uuid.UUID
    seat_count: int
    states: bytes  # two bits per seat: 0 available, 1 held, 2 sold, 3 blocked
    sections: list[SectionCounts]
    source: str  # "cache" or "database"
    versions: dict[int, int]  # seat index -> row version: newer changes supersede this view
    standing_versions: dict[uuid.UUID, int]  # standing area -> its version, likewise

    def state_of(self, index: int) -> SeatState:
        return unpack_state(self.states, index)


async def event_inventory(
    services: Services, *, organization_id: uuid.UUID, event_id: uuid.UUID
) -> InventoryView:
    context = await services.seat_maps.event(organization_id, event_id)
    seat_map = context.seat_map
    seat_count = seat_map.seat_count if seat_map else 0
    event = EventKey(organization_id, event_id)
    cached = await _cached(services, event, seat_count)
    if cached is not None:
        standing = {
            section: (used, capacity) for section, (used, capacity, _) in cached.standing.items()
        }
        return _view(
            event_id,
            seat_map,
            cached.states,
            standing,
            "cache",
            cached.versions,
            {section: version for section, (_, _, version) in cached.standing.items()},
        )
    truth = await snapshot(services, event)
    states = pack_states({seat.index: seat.state for seat in truth.seats}, seat_count)
    standing = {area.section_id: (area.used, area.capacity) for area in truth.standing}
    versions = {seat.index: seat.version for seat in truth.seats}
    standing_versions = {area.section_id: area.version for area in truth.standing}
    return _view(event_id, seat_map, states, standing, "database", versions, standing_versions)


async def _cached(services: Services, event: EventKey, seat_count: int) -> CachedInventory | None:
    if not services.gate.trusted_for(event.event_id):
        return None
    try:
        cached = await services.cache.read(event, seat_count)
        if cached is None and await rebuild_event_cache(services, event, resync=False):
            cached = await services.cache.read(event, seat_count)
    except CacheUnavailable:
        services.gate.failed()
        return None
    return cached


def _view(
    event_id: uuid.UUID,
    seat_map: LayoutSeatMap | None,
    states: bytes,
    standing: dict[uuid.UUID, tuple[int, int]],
    source: str,
    versions: dict[int, int],
    standing_versions: dict[uuid.UUID, int],
) -> InventoryView:
    counts: dict[uuid.UUID, Counter[SeatState]] = {}
    if seat_map is not None:
        for seat in seat_map.by_index:
            counts.setdefault(seat.section_id, Counter())[unpack_state(states, seat.index)] += 1
    sections = []
    for section in seat_map.sections.values() if seat_map else ():
        if section.type is SectionType.STANDING:
            used, capacity = standing.get(section.id, (0, section.capacity))
            sections.append(
                SectionCounts(
                    section.id, section.name, section.type.value, capacity, capacity - used, 0, 0, 0
                )
            )
            continue
        tally = counts.get(section.id, Counter())
        sections.append(
            SectionCounts(
                section.id,
                section.name,
                section.type.value,
                section.capacity,
                tally[SeatState.AVAILABLE],
                tally[SeatState.HELD],
                tally[SeatState.SOLD],
                tally[SeatState.BLOCKED],
            )
        )
    sections.sort(key=lambda counted: counted.name)
    seat_count = seat_map.seat_count if seat_map else 0
    return InventoryView(
        event_id, seat_count, states, sections, source, versions, standing_versions
    )


async def get_hold(
    services: Services,
    *,
    organization_id: uuid.UUID,
    hold_id: uuid.UUID,
    holder_ref: str | None = None,
) -> HoldView:
    async with services.uow() as uow:
        # A read: it must not queue behind (or hold up) a sale, an extension or the sweeper.
        hold = await uow.inventory.hold(organization_id, hold_id, holder_ref)
        seats = await uow.inventory.seats_of_hold(hold.id)
    context = await services.seat_maps.event(organization_id, hold.event_id)
    return HoldView.of(
        hold, seat_labels(context.seat_map, [row.seat_id for row in seats]), services.clock()
    )


@dataclass(frozen=True)
class ChangeView:
    id: int
    at: datetime
    event_id: uuid.UUID
    seat_id: uuid.UUID | None
    section_id: uuid.UUID | None
    quantity: int
    from_state: str
    to_state: str
    hold_id: uuid.UUID | None
    order_id: uuid.UUID | None
    actor: str
    reason: str

    @classmethod
    def of(cls, row: SeatStateChange) -> ChangeView:
        return cls(
            row.id,
            row.occurred_at,
            row.event_id,
            row.seat_id,
            row.section_id,
            row.quantity,
            row.from_state.value,
            row.to_state.value,
            row.hold_id,
            row.order_id,
            row.actor,
            row.reason,
        )
