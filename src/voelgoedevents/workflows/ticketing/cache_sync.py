"""Keeping the cache in step with the database: write-through after commit, stale marks,
rebuilds and verification.

The database has already committed when these run. A cache failure here never fails the
request: the event is marked stale (every process then stops trusting the cache for it) and the
sweeper rebuilds it from the database once the cache answers again.

A change the cache did not take was not published either, so live seat streams may be showing
an older map: this process's streams of the event are told to resync at once (their new map
comes from the database, the event being stale here), and every process's streams once the
event has been rebuilt (or repaired), after the cache holds the database's state.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa

from voelgoedevents.adapters.cache.port import (
    CacheUnavailable,
    CommitBatch,
    EventKey,
    EventSnapshot,
    HoldEntry,
    SeatChange,
    StandingChange,
    unpack_state,
)
from voelgoedevents.adapters.database.repositories import cache_status
from voelgoedevents.adapters.database.tables import EventSeat, EventStandingArea, SeatHold
from voelgoedevents.adapters.metrics import CACHE_REBUILDS
from voelgoedevents.domain.ticketing.states import HoldStatus
from voelgoedevents.workflows.services import Services

log = logging.getLogger(__name__)
REBUILD_LEASE_MS = 60_000


async def after_commit(services: Services, event: EventKey, batch: CommitBatch) -> None:
    """Write-through: database first (done), then the cache, which also publishes the change."""
    if not services.gate.enabled:  # no cache (database-only mode): it only feeds the stream
        await services.cache.commit(event, batch)
        return
    if services.gate.available:
        try:
            await services.cache.commit(event, batch)
            services.gate.succeeded()
            return
        except CacheUnavailable as exc:
            services.gate.failed()
            log.warning("cache write failed for event %s: %s", event.event_id, exc)
    if services.gate.enabled and (
        batch.seats or batch.standing or batch.holds_set or batch.holds_removed
    ):
        await mark_stale(services, event, "a committed change could not be written to the cache")
        if batch.seats or batch.standing:  # never published: streams here learn it at once
            services.feed.resync(event.event_id)


async def mark_stale(services: Services, event: EventKey, reason: str) -> None:
    services.gate.stale.add(event.event_id)
    if not await _record_stale(services, event, reason):
        # The local mark protects this process, and the sweeper writes it later: until then
        # no process rebuilds the event, and this one must not forget it meanwhile.
        services.gate.unrecorded[event.event_id] = (event.organization_id, reason)


async def record_unrecorded_marks(services: Services) -> None:
    """Write the stale marks this process could not write before (the sweeper calls this)."""
    for event_id, (organization_id, reason) in list(services.gate.unrecorded.items()):
        if await _record_stale(services, EventKey(organization_id, event_id), reason):
            del services.gate.unrecorded[event_id]


async def _record_stale(services: Services, event: EventKey, reason: str) -> bool:
    try:
        async with services.uow() as uow:
            await cache_status.mark_stale(
                uow.session,
                organization_id=event.organization_id,
                event_id=event.event_id,
                reason=reason,
                now=services.clock(),
            )
            await uow.commit()
    except Exception:
        log.exception("could not record event %s as stale", event.event_id)
        return False
    return True


async def snapshot(services: Services, event: EventKey) -> EventSnapshot:
    """The event's inventory as the database has it now."""
    async with services.uow() as uow:
        session = uow.session
        seats = [
            SeatChange(row.seat_index, row.version, row.status, row.held_until)
            for row in await session.execute(
                sa.select(
                    EventSeat.seat_index, EventSeat.version, EventSeat.status, EventSeat.held_until
                ).where(EventSeat.event_id == event.event_id)
            )
        ]
        standing = [
            StandingChange(
                row.section_id,
                row.version,
                row.held_count + row.sold_count + row.blocked_count,
                row.capacity,
            )
            for row in await session.scalars(
                sa.select(EventStandingArea).where(EventStandingArea.event_id == event.event_id)
            )
        ]
        holds = [
            HoldEntry(row.id, row.held_until)
            for row in await session.execute(
                sa.select(SeatHold.id, SeatHold.held_until).where(
                    SeatHold.event_id == event.event_id, SeatHold.status == HoldStatus.ACTIVE
                )
            )
        ]
    return EventSnapshot(seat_count=len(seats), seats=seats, standing=standing, holds=holds)


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
        rows = await uow.session.scalars(
            sa.select(SeatHold.id).where(
                SeatHold.event_id == event.event_id, SeatHold.status == HoldStatus.ACTIVE
            )
        )
        return set(rows)


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
