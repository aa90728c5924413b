"""A lock lease runs out while its holder is paused (a GC pause, a stalled VM): the stale holder
comes back and writes. The per-seat lock is only a lease, so it cannot stop that write; the
version fence in the database must.

Buyer A claims two seats in Redis with a 150 ms lease and keeps the fencing values; A pauses past
the lease; buyer B reserves the same seats through the real workflow; A resumes and does its
fenced write exactly as ``_write_seat_hold`` does. Against a real PostgreSQL and a private Redis.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.cache.port import ClaimStatus, EventKey, SeatRef, unpack_state
from voelgoedevents.adapters.database.ledger import seats as ledger_seats
from voelgoedevents.adapters.database.tables import EventCacheStatus, EventSeat, SeatHold
from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.errors import SeatUnavailable
from voelgoedevents.domain.ticketing.reservation import ReserveRequest
from voelgoedevents.domain.ticketing.states import HoldSource, HoldStatus, SeatState
from voelgoedevents.workflows.ticketing.cache_sync import rebuild_event_cache, verify_event_cache
from voelgoedevents.workflows.ticketing.reserve_seat import reserve_seat

from support.chaos import RedisServer, lock_keys
from support.clock import ManualClock
from support.factories import on_sale_scenario
from support.holds import seat_ids, seat_rows

LEASE_MS = 150
PAUSE_SECONDS = 0.5  # A sleeps well past its lease


def _held_values(hold: SeatHold) -> dict[str, object]:
    return {
        "status": SeatState.HELD.value,
        "hold_id": hold.id,
        "held_until": hold.held_until,
        "order_id": None,
    }


async def _insert_hold(
    session: AsyncSession, event: EventKey, holder: str, seats: list[uuid.UUID], now: datetime
) -> SeatHold:
    """A's hold row, first in its transaction (as the ledger's ``_insert_hold`` writes it)."""
    hold = SeatHold(
        organization_id=event.organization_id,
        event_id=event.event_id,
        holder_ref=holder,
        status=HoldStatus.ACTIVE,
        source=HoldSource.WEB,
        held_until=now + timedelta(minutes=10),
        seat_count=len(seats),
        quantity=0,
        request_fingerprint=hashlib.sha256(f"{event.event_id}|{seats}".encode()).hexdigest(),
        created_at=now,
        updated_at=now,
    )
    session.add(hold)
    await session.flush()
    return hold


@pytest.mark.slow
async def test_a_paused_holder_whose_lease_ran_out_changes_nothing(
    pg_services: Services,
    private_redis: RedisServer,
    redis_services: Callable[..., Services],
    clock: ManualClock,
) -> None:
    services = redis_services(private_redis.url, clock)
    scenario = await on_sale_scenario(pg_services)
    event = EventKey(scenario.org_id, scenario.event.id)
    wanted = (await seat_ids(pg_services, scenario))[:2]  # A1, A2: available
    seat_map = await services.seat_maps.layout(scenario.layout.id)
    refs = [SeatRef(seat, seat_map.seats[seat].index) for seat in sorted(wanted)]
    before = await seat_rows(pg_services, event.event_id)
    assert await rebuild_event_cache(services, event)  # the event is loaded in this Redis

    # A claims the seats with a very short lease and keeps its fencing values.
    token_a = uuid.uuid4().hex
    claim_a = await services.cache.claim(event, refs, token=token_a, lease_ms=LEASE_MS, now=clock())
    assert claim_a.status is ClaimStatus.CLAIMED, claim_a
    fence_a = {ref.seat_id: claim_a.versions[ref.index] for ref in refs}
    assert fence_a == {seat: before[seat].version for seat in wanted}
    assert len(lock_keys(private_redis, "chaos", event.event_id)) == 2
    # While the lease runs, the lock does keep others out of the database.
    rival = await services.cache.claim(
        event, refs, token=uuid.uuid4().hex, lease_ms=5_000, now=clock()
    )
    assert rival.status is ClaimStatus.BUSY

    # A pauses past its lease: Redis lets the locks go on its own.
    await asyncio.sleep(PAUSE_SECONDS)
    assert lock_keys(private_redis, "chaos", event.event_id) == []

    # B reserves the same seats through the real workflow, and gets them.
    hold_b = await reserve_seat(
        services,
        organization_id=event.organization_id,
        event_id=event.event_id,
        request=ReserveRequest(seat_ids=wanted, holder_ref="bob"),
    )
    after_b = await seat_rows(pg_services, event.event_id)
    for seat in wanted:
        row = after_b[seat]
        assert (row.status, row.hold_id, row.version) == (
            SeatState.HELD,
            hold_b.id,
            fence_a[seat] + 1,
        )

    # A resumes and performs its fenced write, as _write_seat_hold does: it changes no row.
    now = clock()
    async with services.uow() as uow:
        hold_a = await _insert_hold(uow.session, event, "alice", wanted, now)
        rows = await ledger_seats.update_seats(
            uow.session, ledger_seats.fenced(event.event_id, fence_a), _held_values(hold_a), now
        )
        assert rows == [], "the stale holder's fenced write changed seats"
        # (the workflow stops here with _FenceMismatch: its transaction is rolled back)

    # The contrast: the same stale write matched on the seat ids alone (no fence) WOULD have
    # taken B's seats. Shown in a transaction that is rolled back.
    async with services.uow() as uow:
        hold_a = await _insert_hold(uow.session, event, "alice", wanted, now)
        unfenced = (
            sa.update(EventSeat)
            .where(EventSeat.event_id == event.event_id, EventSeat.seat_id.in_(sorted(wanted)))
            .values(**_held_values(hold_a), version=EventSeat.version + 1, updated_at=now)
            .returning(EventSeat.seat_id, EventSeat.hold_id)
        )
        overwritten = (await uow.session.execute(unfenced)).all()
        assert sorted(seat for seat, _ in overwritten) == sorted(wanted)
        assert {hold for _, hold in overwritten} == {hold_a.id}, "without the fence, A wins"
        # never committed: rolled back when the block ends

    # B still owns the seats in the database, unchanged since its write.
    final = await seat_rows(pg_services, event.event_id)
    for seat in wanted:
        row = final[seat]
        assert (row.status, row.hold_id, row.version) == (
            SeatState.HELD,
            hold_b.id,
            after_b[seat].version,
        )
    async with pg_services.uow() as uow:
        active = set(
            await uow.session.scalars(
                sa.select(SeatHold.id).where(
                    SeatHold.event_id == event.event_id, SeatHold.status == HoldStatus.ACTIVE
                )
            )
        )
        assert active == {hold_b.id}
        assert list(await uow.session.scalars(sa.select(EventCacheStatus))) == []

    # ... and the cache shows B.
    cached = await services.cache.read(event, seat_map.seat_count)
    assert cached is not None
    for ref in refs:
        assert unpack_state(cached.states, ref.index) is SeatState.HELD
        assert cached.versions[ref.index] == final[ref.seat_id].version
    assert set(cached.holds) == {hold_b.id}

    # The real workflow for A's request, now: refused, the seats are held.
    with pytest.raises(SeatUnavailable) as refused:
        await reserve_seat(
            services,
            organization_id=event.organization_id,
            event_id=event.event_id,
            request=ReserveRequest(seat_ids=wanted, holder_ref="alice"),
        )
    assert refused.value.refusals == {str(seat): SeatState.HELD.value for seat in wanted}

    assert lock_keys(private_redis, "chaos", event.event_id) == []
    report = await verify_event_cache(services, event, repair=False)
    assert report.loaded and report.drift == 0, report
