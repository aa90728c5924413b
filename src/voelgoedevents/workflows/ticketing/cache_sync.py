"""Keeping the cache in step with the database: rebuilds and verification.

Every commit writes its own changes to the cache (the unit of work, through
``adapters/cache/sync.py``); when one could not, the event was marked stale, and is rebuilt here
(by the sweeper, or ``voelgoed cache rebuild``) from the database once the cache answers again.

A change the cache did not take was not published either, so live seat streams may be showing
an older map: every process's streams of the event are sent a fresh map once the event has been
rebuilt (or repaired), after the cache holds the database's state.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from voelgoedevents.adapters.cache.port import (
    CommitBatch,
    EventKey,
    EventSnapshot,
    SeatChange,
    unpack_state,
)
from voelgoedevents.adapters.metrics import CACHE_REBUILDS
from voelgoedevents.workflows.services import Services

REBUILD_LEASE_MS = 60_000


async def snapshot(services: Services, event: EventKey) -> EventSnapshot:
    """The event's inventory as the database has it now."""
    async with services.uow() as uow:
        return await uow.inventory.snapshot(event.event_id)


async def rebuild_event_cache(services: Services, event: EventKey, *, resync: bool = True) -> bool:
    """Load the event from the database into the cache; False if another process is at it.

    Concurrent writers are safe: their seat changes carry newer versions than the snapshot's.
    The registry has no versions, so it is cleaned after loading: read the registry, *then*
    the active holds; anything registered then was committed before that read, so a hold the
    database no longer calls active is really gone (even one the load itself put back).

    Then, with ``resync``, every live stream of the event in every process is sent a fresh map,
    taken after this (so no older than the database was when the load read it): a copy rebuilt
    because it may have been behind kept changes from the streams too. Loading a cold event on
    first use needs none (``resync=False``): every commit publishes what it applies whether or
    not the copy is complete, and a relay that lost its subscription resyncs its own streams.
    """
    token = uuid.uuid4().hex
    if not await services.cache.try_lock_rebuild(event, token, REBUILD_LEASE_MS):
        return False
    try:
        await services.cache.load(event, await snapshot(services, event))
        CACHE_REBUILDS.inc()
        registered = await services.cache.registry(event)
        active = await _active_hold_ids(services, event)
        await services.cache.remove_holds(event, sorted(registered - active))
        if resync:  # failing, the rebuild counts as failed: a stale mark stays for a retry
            await services.cache.resync(event)
        return True
    finally:
        await services.cache.unlock_rebuild(event, token)


async def _active_hold_ids(services: Services, event: EventKey) -> set[uuid.UUID]:
    async with services.uow() as uow:
        return await uow.inventory.active_hold_ids(event.event_id)


@dataclass(frozen=True)
class SeatDrift:
    index: int
    cached: tuple[str, int]
    database: tuple[str, int]


@dataclass
class DriftReport:
    event_id: uuid.UUID
    loaded: bool
    seats_checked: int = 0
    seats: list[SeatDrift] = field(default_factory=list)
    standing: list[uuid.UUID] = field(default_factory=list)
    holds_missing: list[uuid.UUID] = field(default_factory=list)
    holds_extra: list[uuid.UUID] = field(default_factory=list)
    repaired: bool = False

    @property
    def drift(self) -> int:
        return (
            len(self.seats) + len(self.standing) + len(self.holds_missing) + len(self.holds_extra)
        )


async def verify_event_cache(services: Services, event: EventKey, *, repair: bool) -> DriftReport:
    """Compare the cache with the database (cache read first, then the database, so anything the
    cache holds was committed before the database read) and, with ``repair``, make the cache
    equal to the database, then send every live stream of the event a fresh map (a stream drops
    a repaired seat whose version it already has)."""
    if services.cache.mode == "none":
        return DriftReport(event.event_id, loaded=False)
    context = await services.seat_maps.event(event.organization_id, event.event_id)
    seat_count = context.seat_map.seat_count if context.seat_map else 0
    cached = await services.cache.read(event, seat_count)
    truth = await snapshot(services, event)
    if cached is None:
        report = DriftReport(event.event_id, loaded=False, seats_checked=seat_count)
        if repair:
            report.repaired = await rebuild_event_cache(services, event)
        return report
    report = DriftReport(event.event_id, loaded=True, seats_checked=len(truth.seats))
    drifted: list[SeatChange] = []
    for seat in truth.seats:
        cached_state = unpack_state(cached.states, seat.index)
        cached_version = cached.versions.get(seat.index, 0)
        if (cached_state, cached_version) != (seat.state, seat.version):
            report.seats.append(
                SeatDrift(
                    seat.index,
                    (cached_state.value, cached_version),
                    (seat.state.value, seat.version),
                )
            )
            drifted.append(seat)
    standing = [
        area
        for area in truth.standing
        if cached.standing.get(area.section_id) != (area.used, area.capacity, area.version)
    ]
    report.standing = [area.section_id for area in standing]
    live = {entry.hold_id: entry for entry in truth.holds}
    report.holds_missing = sorted(hold for hold in live if hold not in cached.holds)
    report.holds_extra = sorted(hold for hold in cached.holds if hold not in live)
    if repair and report.drift:
        await services.cache.commit(
            event,
            CommitBatch(
                seats=drifted,
                standing=standing,
                holds_set=[live[hold] for hold in report.holds_missing],
                holds_removed=report.holds_extra,
            ),
            force=True,
            publish=True,
        )
        await services.cache.resync(event)
        report.repaired = True
    return report
