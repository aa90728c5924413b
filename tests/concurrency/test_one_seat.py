"""1,000 buyers in four OS processes race for one seat.

First the race without the guard (no row locks, no version fence): several buyers are told the
seat is theirs. Then the real engine, with Redis and with the database alone: exactly one hold,
and the database agrees.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import sqlalchemy as sa

from voelgoedevents.adapters.database.tables import SeatHold
from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.ticketing.states import HoldStatus

from support.factories import on_sale_scenario
from support.holds import seat_ids, seat_rows
from support.racing import Worker, one_seat_race, run_workers
from support.servers import REDIS_URL

PROCESSES, ATTEMPTS = 4, 250


async def _race(
    services: Services,
    postgres_url: str,
    *,
    cache_mode: str,
    guarded: bool,
    namespace: str = "voelgoed",
) -> tuple[uuid.UUID, uuid.UUID, list[dict]]:
    scenario = await on_sale_scenario(services)
    seat = (await seat_ids(services, scenario))[0]
    wall_zero = time.time()
    workers = [
        Worker(
            database_url=postgres_url,
            cache_mode=cache_mode,  # type: ignore[arg-type]
            organization_id=scenario.org_id,
            event_id=scenario.event.id,
            start_at=wall_zero + 6,
            redis_url=REDIS_URL if cache_mode == "redis" else None,
            namespace=namespace,
            warp=(wall_zero, 1.0),
            guarded=guarded,
            seed=n,
            params={"seat_id": str(seat), "attempts": ATTEMPTS},
        )
        for n in range(PROCESSES)
    ]
    results = await asyncio.to_thread(run_workers, one_seat_race, workers)
    return scenario.event.id, seat, results


async def _active_holds(services: Services, event_id: uuid.UUID) -> int:
    async with services.uow() as uow:
        return int(
            await uow.session.scalar(
                sa.select(sa.func.count())
                .select_from(SeatHold)
                .where(SeatHold.event_id == event_id, SeatHold.status == HoldStatus.ACTIVE)
            )
            or 0
        )


async def test_without_the_guard_several_buyers_get_the_same_seat(
    pg_services: Services, postgres_url: str
) -> None:
    event_id, seat, results = await _race(
        pg_services, postgres_url, cache_mode="none", guarded=False
    )
    told_yes = sum(result["counts"].get("held", 0) for result in results)
    assert told_yes > 1, f"the race did not show: the demonstration proves nothing {results}"
    assert await _active_holds(pg_services, event_id) == told_yes  # each thinks it has it
    row = (await seat_rows(pg_services, event_id))[seat]
    assert row.hold_id is not None  # ... but the seat records only the last writer


@pytest.mark.parametrize("cache_mode", ["redis", "none"])
async def test_one_thousand_buyers_one_seat_one_hold(
    pg_services: Services, postgres_url: str, redis_namespace: str, cache_mode: str
) -> None:
    event_id, seat, results = await _race(
        pg_services, postgres_url, cache_mode=cache_mode, guarded=True, namespace=redis_namespace
    )
    counts: dict[str, int] = {}
    for result in results:
        for code, number in result["counts"].items():
            counts[code] = counts.get(code, 0) + number
    assert sum(counts.values()) == PROCESSES * ATTEMPTS
    assert counts.get("held") == 1, counts
    assert set(counts) <= {"held", "seat_unavailable", "busy"}, counts
    winner = next(hold for result in results for hold in result["holds"])
    row = (await seat_rows(pg_services, event_id))[seat]
    assert (row.status.value, str(row.hold_id), row.version) == ("held", winner, 2)
    assert await _active_holds(pg_services, event_id) == 1
