"""Redis dies mid-storm and comes back empty.

Four processes of buyers storm a 3,000-seat arena (as in ``tests/concurrency/test_storm.py``) with
the cache in a private Redis. About 2.5 s in, that redis-server is SIGKILLed; 1.5 s later a new
one starts, empty, on the same port. The storm must go on (through the database while Redis is
gone; the event is marked stale and rebuilt once Redis answers), and afterwards the history must
be one a single seat could have lived, every acknowledged hold and sale must be in the database,
and after one sweep the cache must equal the database again.
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.adapters.database.tables import EventCacheStatus, SeatHold
from voelgoedevents.bootstrap import Services, build_services
from voelgoedevents.domain.clock import Clock
from voelgoedevents.domain.seating.generator import generate_layout
from voelgoedevents.settings import DatabaseSettings, RedisSettings, load_settings
from voelgoedevents.workflows.ticketing.cache_sync import rebuild_event_cache, verify_event_cache
from voelgoedevents.workflows.ticketing.expire_holds import sweep_once

from support.chaos import (
    LeanWorker,
    RedisServer,
    chaos_storm,
    check_storm_history,
    wait_for_connections,
)
from support.clock import START
from support.factories import make_event, make_layout, make_organization, make_venue
from support.racing import WarpClock, run_workers

PROCESSES, BUYERS, SECONDS, WARP = 4, 25, 10.0, 120.0
SPAWN = 6.0  # seconds for the worker processes to start before the storm begins
KILL_AFTER, DOWN_FOR = 2.5, 1.5
NAMESPACE = "chaos"


async def _arena(services: Services) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    layout = await make_layout(
        services, organization.id, venue.id, generate_layout("arena", 3_000, seed=3)
    )
    event = await make_event(services, organization.id, venue.id, layout.id)
    seat_map = await services.seat_maps.layout(layout.id)
    return organization.id, event.id, [seat.seat_id for seat in seat_map.by_index]


async def _outage(server: RedisServer, at: float) -> dict[str, Any]:
    """SIGKILL the server at wall time ``at``; start it again, empty, DOWN_FOR seconds later."""
    with server.client() as client:
        old_run = client.info("server")["run_id"]
    await asyncio.sleep(max(0.0, at - time.time()))
    killed_at = time.time()  # just before the signal: a failure may be seen before kill returns
    status = await asyncio.to_thread(server.kill)
    await asyncio.sleep(DOWN_FOR)
    await asyncio.to_thread(server.start)
    restarted_at = time.time()
    with server.client() as client:
        new_run = client.info("server")["run_id"]
    return {
        "status": status,
        "killed_at": killed_at,
        "restarted_at": restarted_at,
        "runs": (old_run, new_run),
    }


async def _watch_stale_marks(
    services: Services, event: uuid.UUID, until: asyncio.Event
) -> list[float]:
    """Poll the stale table during the storm: the wall times at which the event was marked."""
    seen: list[float] = []
    while not until.is_set():
        async with services.uow() as uow:
            marked = await uow.session.scalar(
                sa.select(sa.func.count())
                .select_from(EventCacheStatus)
                .where(EventCacheStatus.event_id == event)
            )
        if marked:
            seen.append(time.time())
        await asyncio.sleep(0.05)
    return seen


def _signals(logs: list[dict[str, Any]], name: str, since: float = 0.0) -> list[float]:
    return sorted(t for log in logs for t in log["signals"].get(name, []) if t >= since)


@pytest.mark.slow
async def test_the_storm_survives_redis_killed_and_restarted_empty(
    pg_services: Services, postgres_url: str, tmp_path: Path
) -> None:
    org, event, seats = await _arena(pg_services)
    key = EventKey(org, event)
    # PostgreSQL's connections are shared with anything else running here: make room.
    await wait_for_connections(pg_services, PROCESSES * 8 + 10)
    with RedisServer(tmp_path / "redis") as server:
        wall_zero = time.time()

        def services_on(clock: Clock) -> Services:
            return build_services(
                load_settings(
                    database=DatabaseSettings(url=postgres_url, pool_size=2, max_overflow=2),
                    redis=RedisSettings(url=server.url, namespace=NAMESPACE),
                ),
                clock=clock,
                cache_mode="redis",
            )

        # Loaded before the storm: every cold claim afterwards is the restart's doing.
        loader = services_on(WarpClock(wall_zero, WARP))
        try:
            assert await rebuild_event_cache(loader, key)
        finally:
            await loader.aclose()
        checker: Services | None = None
        try:
            start_at = wall_zero + SPAWN
            workers = [
                LeanWorker(
                    database_url=postgres_url,
                    cache_mode="redis",
                    organization_id=org,
                    event_id=event,
                    start_at=start_at,
                    redis_url=server.url,
                    namespace=NAMESPACE,
                    warp=(wall_zero, WARP),
                    seed=n,
                    params={
                        "seat_ids": [str(s) for s in seats],
                        "duration": SECONDS,
                        "buyers": BUYERS,
                    },
                )
                for n in range(PROCESSES)
            ]
            storm_done = asyncio.Event()
            watcher = asyncio.create_task(_watch_stale_marks(pg_services, event, storm_done))
            storm = asyncio.create_task(
                asyncio.to_thread(run_workers, chaos_storm, workers, timeout=SPAWN + SECONDS + 60)
            )
            try:
                outage = await _outage(server, start_at + KILL_AFTER)
            finally:
                try:
                    logs = await storm  # the workers stop on their own when the storm is over
                finally:
                    storm_done.set()
                    marks_seen = await watcher
            storm_ended = time.time()

            # The outage was real: the server died by SIGKILL and a new, empty one took over.
            assert outage["status"] == -signal.SIGKILL, outage
            assert outage["runs"][0] != outage["runs"][1]
            killed_at, restarted_at = outage["killed_at"], outage["restarted_at"]

            # The history is one a single seat could have lived; clients were told the truth.
            holds = await check_storm_history(pg_services, event, logs)
            held = [entry for log in logs for entry in log["held"]]
            sold = [entry for log in logs for entry in log["sold"]]
            assert len(held) > 200 and len(sold) > 50, "the storm was too small to prove anything"

            # The storm felt it: Redis calls failed, the event was marked stale, reserves went by
            # the database alone, and holds were still taken while Redis was down, and after.
            failed = _signals(logs, "cache_unavailable", killed_at)
            stale = _signals(logs, "marked_stale", killed_at)
            database_path = _signals(logs, "database_path", killed_at)
            rebuilt = _signals(logs, "rebuilt", restarted_at)

            def created(since: float, until: float) -> list[SeatHold]:
                low, high = _warp_time(wall_zero, since), _warp_time(wall_zero, until)
                return [hold for hold in holds.values() if low <= hold.created_at < high]

            during = created(killed_at, restarted_at)
            after = created(restarted_at, storm_ended)
            assert failed, "no worker saw Redis fail"
            assert stale and marks_seen, "the event was never marked stale"
            assert database_path, "no reserve went by the database alone"
            assert during, "no hold was taken while Redis was down"
            assert len(after) > 50, f"the storm barely went on after the restart: {len(after)}"

            # Once the last lapsed holds are swept (by a fresh process on the same clock), the
            # cache equals the database and nothing is left marked stale.
            checker = services_on(WarpClock(wall_zero, WARP))
            await sweep_once(checker)
            report = await verify_event_cache(checker, key, repair=False)
            assert report.loaded, report
            assert (report.seats, report.standing, report.holds_missing, report.holds_extra) == (
                [],
                [],
                [],
                [],
            ), report
            async with pg_services.uow() as uow:
                assert list(await uow.session.scalars(sa.select(EventCacheStatus))) == []

            first_rebuild = f"{rebuilt[0] - restarted_at:.1f} s" if rebuilt else "never"
            print(
                f"\nstorm: {len(held)} holds, {len(sold)} sales acknowledged; outage "
                f"{killed_at - start_at:.1f}-{restarted_at - start_at:.1f} s into it; "
                f"{len(during)} holds taken while Redis was down, {len(after)} after; "
                f"{len(failed)} cache failures, {len(stale)} stale marks "
                f"({len(marks_seen)} polls saw the mark), {len(database_path)} database-only "
                f"reserves; first rebuild by the storm {first_rebuild} after the restart"
            )
        finally:
            if checker is not None:
                await checker.aclose()


def _warp_time(wall_zero: float, wall: float) -> datetime:
    return START + timedelta(seconds=(wall - wall_zero) * WARP)
