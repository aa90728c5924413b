"""Race real OS processes against the real servers.

Each worker is a fresh process (``spawn``) that builds its own services, warms up, then waits
for a shared wall-clock instant so that every process fires at once. Workers return plain data
(strings and numbers) describing what their clients were told.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from voelgoedevents.bootstrap import CacheMode, Services, build_services
from voelgoedevents.clocks import ScaledClock
from voelgoedevents.domain.errors import DomainError
from voelgoedevents.domain.ticketing.reservation import ReserveRequest
from voelgoedevents.settings import DatabaseSettings, HoldSettings, RedisSettings, load_settings

from support.clock import START


def WarpClock(wall_zero: float, factor: float) -> ScaledClock:
    """The storms' shared clock: ``START`` (the factories' time) at ``wall_zero``, fast."""
    return ScaledClock(START, wall_zero, factor)


@dataclass(frozen=True)
class Worker:
    database_url: str
    cache_mode: CacheMode
    organization_id: uuid.UUID
    event_id: uuid.UUID
    start_at: float  # wall clock instant every worker starts at
    redis_url: str | None = None
    namespace: str = "voelgoed"
    warp: tuple[float, float] | None = None  # (wall_zero, factor)
    guarded: bool = True
    seed: int = 0
    params: dict[str, Any] = field(default_factory=dict)

    def services(self) -> Services:
        settings = load_settings(
            # 4 workers x 16 connections stay under PostgreSQL's default 100.
            database=DatabaseSettings(url=self.database_url, pool_size=8, max_overflow=8),
            redis=RedisSettings(url=self.redis_url, namespace=self.namespace),
            holds=HoldSettings(sweep_interval_seconds=0.2),
        )
        clock = WarpClock(*self.warp) if self.warp else (lambda: datetime.now(UTC))
        return build_services(settings, clock=clock, cache_mode=self.cache_mode)


def run_workers(
    target: Callable[[Worker], Any], workers: list[Worker], timeout: float = 120
) -> list[Any]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(workers)) as pool:
        return pool.map_async(target, workers).get(timeout)


async def _until(instant: float) -> None:
    await asyncio.sleep(max(0.0, instant - time.time()))


async def warm_up(services: Services, connections: int = 16) -> None:
    """Open the pool's connections before the start, so no process starts late."""

    async def hold_one() -> None:
        async with services.engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
            await asyncio.sleep(0.3)

    await asyncio.gather(*(hold_one() for _ in range(connections)))


def disable_the_guard() -> None:
    """For the demonstration only: the reserve path without its guard (no row locks, no version
    fence), with a realistic pause between its read and its write."""
    from voelgoedevents.adapters.database.ledger import reserve_pg, seats
    from voelgoedevents.adapters.database.repositories import holds as repo

    read_seats = repo.read_seats

    async def unlocked_read(session, event_id, seat_ids, *, lock):  # type: ignore[no-untyped-def]
        rows = await read_seats(session, event_id, seat_ids, lock=False)
        await asyncio.sleep(0.05)  # a slow request: it read, then the machine got busy
        return rows

    def unfenced(event_id, expected_versions):  # type: ignore[no-untyped-def]
        return seats.SeatTarget(
            "unfenced", {"p_event_id": event_id, "p_seat_ids": sorted(expected_versions)}
        )

    seats._CONDITIONS["unfenced"] = lambda: [  # the seats by id alone: no version, no state
        seats._SEATS.c.event_id == sa.bindparam("p_event_id"),
        seats._SEATS.c.seat_id.in_(sa.bindparam("p_seat_ids", expanding=True)),
    ]
    repo.read_seats = unlocked_read  # type: ignore[assignment]
    seats.fenced = unfenced  # type: ignore[assignment]
    reserve_pg._HOLD_SEATS = reserve_pg._build(guarded=False)  # PostgreSQL's one statement


# --- one seat, many buyers ----------------------------------------------------------------------


def one_seat_race(worker: Worker) -> dict[str, Any]:
    return asyncio.run(_one_seat_race(worker))


async def _one_seat_race(worker: Worker) -> dict[str, Any]:
    from voelgoedevents.workflows.ticketing.reserve_seat import reserve_seat

    if not worker.guarded:
        disable_the_guard()
    services = worker.services()
    seat = uuid.UUID(worker.params["seat_id"])
    attempts = worker.params["attempts"]
    await services.seat_maps.event(worker.organization_id, worker.event_id)
    await warm_up(services)

    async def attempt(number: int) -> tuple[str, str | None]:
        request = ReserveRequest(seat_ids=[seat], holder_ref=f"p{worker.seed}-{number}")
        try:
            held = await reserve_seat(
                services,
                organization_id=worker.organization_id,
                event_id=worker.event_id,
                request=request,
            )
        except DomainError as exc:
            return exc.code, None
        return "held", str(held.id)

    try:
        await _until(worker.start_at)
        outcomes = await asyncio.gather(*(attempt(n) for n in range(attempts)))
    finally:
        await services.aclose()
    counts: dict[str, int] = {}
    for code, _ in outcomes:
        counts[code] = counts.get(code, 0) + 1
    return {"counts": counts, "holds": [hold for _, hold in outcomes if hold]}


# --- a storm of buyers --------------------------------------------------------------------------


def storm(worker: Worker) -> dict[str, Any]:
    return asyncio.run(_storm(worker))


async def _storm(worker: Worker) -> dict[str, Any]:
    from voelgoedevents.workflows.ticketing.expire_holds import run_sweeper
    from voelgoedevents.workflows.ticketing.release_seat import release_seat
    from voelgoedevents.workflows.ticketing.reserve_seat import reserve_seat
    from voelgoedevents.workflows.ticketing.sell_hold import sell_hold

    services = worker.services()
    rng = random.Random(worker.seed)
    seats = [uuid.UUID(seat) for seat in worker.params["seat_ids"]]
    hot = seats[: max(1, len(seats) // 5)]
    duration, buyers = worker.params["duration"], worker.params["buyers"]
    log: dict[str, list[Any]] = {"held": [], "sold": [], "released": [], "refused": []}
    org, event = worker.organization_id, worker.event_id
    await services.seat_maps.event(org, event)
    await warm_up(services)

    async def buyer(number: int) -> None:
        deadline = worker.start_at + duration
        while time.time() < deadline:
            pool = hot if rng.random() < 0.7 else seats
            wanted = rng.sample(pool, rng.randint(1, min(6, len(pool))))
            holder = f"w{worker.seed}-b{number}"
            try:
                held = await reserve_seat(
                    services,
                    organization_id=org,
                    event_id=event,
                    request=ReserveRequest(seat_ids=wanted, holder_ref=holder),
                )
            except DomainError as exc:
                log["refused"].append(exc.code)
                continue
            log["held"].append({"hold": str(held.id), "seats": [str(s) for s in wanted]})
            await asyncio.sleep(rng.uniform(0, 0.05))
            choice = rng.random()
            try:
                if choice < 0.35:
                    order = await sell_hold(
                        services, organization_id=org, hold_id=held.id, holder_ref=holder
                    )
                    log["sold"].append(
                        {
                            "hold": str(held.id),
                            "order": str(order.id),
                            "seats": [str(s.seat_id) for s in order.seats],
                        }
                    )
                elif choice < 0.6:
                    await release_seat(
                        services, organization_id=org, hold_id=held.id, holder_ref=holder
                    )
                    log["released"].append(str(held.id))
            except DomainError as exc:  # e.g. the hold lapsed while the buyer dithered
                log["refused"].append(exc.code)

    stop = asyncio.Event()
    try:
        await _until(worker.start_at)
        sweeper = asyncio.create_task(run_sweeper(services, stop))
        await asyncio.gather(*(buyer(n) for n in range(buyers)))
        stop.set()
        await sweeper
    finally:
        await services.aclose()
    return log
