"""A storm: four processes of buyers hold, sell, release and abandon random multi-seat groups on
a 3,000-seat arena, on a clock running 120 times fast so holds lapse mid-storm, with a sweeper in
every process. Afterwards the whole history must be one that a single seat could have lived.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.adapters.database.tables import EventSeat, Order, SeatHold
from voelgoedevents.bootstrap import Services, build_services
from voelgoedevents.domain.seating.generator import generate_layout
from voelgoedevents.domain.ticketing.states import OrderStatus
from voelgoedevents.settings import DatabaseSettings, RedisSettings, load_settings
from voelgoedevents.workflows.ticketing.cache_sync import verify_event_cache
from voelgoedevents.workflows.ticketing.expire_holds import sweep_once
from voelgoedevents.workflows.ticketing.invariants import check_event

from support.factories import make_event, make_layout, make_organization, make_venue
from support.racing import WarpClock, Worker, run_workers, storm
from support.servers import REDIS_URL

PROCESSES, BUYERS, SECONDS, WARP = 4, 25, 8.0, 120.0


async def storm_event(services: Services) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    layout = await make_layout(
        services, organization.id, venue.id, generate_layout("arena", 3_000, seed=3)
    )
    event = await make_event(services, organization.id, venue.id, layout.id)
    seat_map = await services.seat_maps.layout(layout.id)
    return organization.id, event.id, [seat.seat_id for seat in seat_map.by_index]


def run_storm(
    postgres_url: str,
    cache_mode: str,
    namespace: str,
    org: uuid.UUID,
    event: uuid.UUID,
    seats: list[uuid.UUID],
    wall_zero: float,
) -> list[dict[str, Any]]:
    workers = [
        Worker(
            database_url=postgres_url,
            cache_mode=cache_mode,  # type: ignore[arg-type]
            organization_id=org,
            event_id=event,
            start_at=wall_zero + 6,
            redis_url=REDIS_URL if cache_mode == "redis" else None,
            namespace=namespace,
            warp=(wall_zero, WARP),
            seed=n,
            params={"seat_ids": [str(s) for s in seats], "duration": SECONDS, "buyers": BUYERS},
        )
        for n in range(PROCESSES)
    ]
    return run_workers(storm, workers, timeout=180)


@pytest.mark.parametrize("cache_mode", ["redis", "none"])
async def test_a_storm_leaves_a_history_one_seat_could_have_lived(
    pg_services: Services, postgres_url: str, redis_namespace: str, cache_mode: str
) -> None:
    org, event, seats = await storm_event(pg_services)
    wall_zero = time.time()
    logs = await asyncio.to_thread(
        run_storm, postgres_url, cache_mode, redis_namespace, org, event, seats, wall_zero
    )
    held = [entry for log in logs for entry in log["held"]]
    sold = [entry for log in logs for entry in log["sold"]]
    assert len(held) > 300 and len(sold) > 50, "the storm was too small to prove anything"
    assert sum(len(log["released"]) for log in logs) > 30

    async with pg_services.uow() as uow:
        session = uow.session
        holds = {
            row.id: row
            for row in await session.scalars(sa.select(SeatHold).where(SeatHold.event_id == event))
        }
        orders = {
            row.id: row
            for row in await session.scalars(sa.select(Order).where(Order.event_id == event))
        }
        rows = {
            row.seat_id: row
            for row in await session.scalars(
                sa.select(EventSeat).where(EventSeat.event_id == event)
            )
        }

    # Every hold and sale a client was told about is in the database, as it was told.
    for entry in held:
        assert uuid.UUID(entry["hold"]) in holds
    owners: dict[str, str] = {}
    for entry in sold:
        order = orders[uuid.UUID(entry["order"])]
        assert order.status is OrderStatus.COMPLETED
        for seat in entry["seats"]:
            assert owners.setdefault(seat, entry["order"]) == entry["order"], "sold twice"
            assert rows[uuid.UUID(seat)].order_id == order.id
    assert {str(s) for s, row in rows.items() if row.status.value == "sold"} == set(owners)

    # The whole history, seat by seat, is a legal one (no two live holders, ever), and the
    # inventory ends where the history says.
    report = await check_event(pg_services, organization_id=org, event_id=event)
    assert report.changes > len(held) and report.ok, report.problems[:10]

    if cache_mode == "redis":  # once the last lapsed holds are swept, Redis equals the database
        checker = build_services(
            load_settings(
                database=DatabaseSettings(url=postgres_url),
                redis=RedisSettings(url=REDIS_URL, namespace=redis_namespace),
            ),
            clock=WarpClock(wall_zero, WARP),
            cache_mode="redis",
        )
        try:
            await sweep_once(checker)
            report = await verify_event_cache(checker, EventKey(org, event), repair=False)
            assert report.loaded, report
            assert (report.seats, report.standing, report.holds_missing, report.holds_extra) == (
                [],
                [],
                [],
                [],
            )
        finally:
            await checker.aclose()
