"""`voelgoed serve --workers 3` as operators run it: a real server in a subprocess, several worker
processes sharing PostgreSQL and Redis, buyers in other OS processes storming it over HTTP while
seat-stream clients, each on a different worker, watch.

Afterwards the database must hold exactly what the buyers were told (no seat with two owners,
every 201 stored), the history must replay, Redis must equal the database, and every stream
client must have seen every change, in order, soon (a liveness bound, not a speed target).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import statistics
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from voelgoedevents.adapters.cache.port import STATE_CODES, EventKey
from voelgoedevents.adapters.database.tables import EventSeat, Order, SeatHold
from voelgoedevents.bootstrap import Services, build_services
from voelgoedevents.domain.access import ApiKeySpec, Role
from voelgoedevents.domain.seating.generator import generate_layout
from voelgoedevents.domain.ticketing.states import HoldStatus, OrderStatus
from voelgoedevents.settings import DatabaseSettings, HoldSettings, RedisSettings, load_settings
from voelgoedevents.workflows.access import create_api_key
from voelgoedevents.workflows.ticketing.cache_sync import verify_event_cache
from voelgoedevents.workflows.ticketing.invariants import check_event

from support.factories import make_event, make_layout, make_organization, make_venue
from support.servers import REDIS_URL, scratch_database
from support.serving import (
    SeatStream,
    Server,
    StormPlan,
    epoch_ms,
    http_storm,
    start_server,
    voelgoed,
    wait_until_serving,
)

WORKERS = 3
SEATS = 1_500
HOT = 60  # the seats everybody wants: 70% of requests go here
STREAMS = 3
STORM_PROCESSES, BUYERS, SECONDS = 2, 12, 5.0
# Liveness, not speed: a change must reach every stream within this of its 201 (or 200). On this
# shared 2-core machine, with the server saturated and other test runs competing for the cores,
# p50 was 30-100 ms and the slowest change 0.3-0.8 s; the run prints what it measured.
LIVENESS_SECONDS = 2.0


# --- a database of its own, a world in it, a server on it -------------------------------------


@pytest.fixture
def e2e_database() -> Iterator[str]:
    """A fresh migrated database for the server alone, dropped whatever happens."""
    with scratch_database(f"voelgoed_e2e_{uuid.uuid4().hex[:10]}") as url:
        yield url


def _services(url: str, namespace: str | None = None) -> Services:
    settings = load_settings(
        database=DatabaseSettings(url=url, pool_size=2, max_overflow=2),
        redis=RedisSettings(url=REDIS_URL if namespace else None, namespace=namespace or "x"),
        holds=HoldSettings(),
    )
    return build_services(settings, cache_mode="redis" if namespace else "none")


@dataclass
class World:
    organization_id: uuid.UUID
    event_id: uuid.UUID
    seat_ids: list[str]  # seat-index order
    sales_key: str
    read_key: str


async def _make_world(url: str) -> World:
    services = _services(url)
    try:
        organization = await make_organization(services)
        venue = await make_venue(services, organization.id)
        layout = await make_layout(
            services, organization.id, venue.id, generate_layout("arena", SEATS, seed=11)
        )
        event = await make_event(services, organization.id, venue.id, layout.id)
        seat_map = await services.seat_maps.layout(layout.id)
        keys = {}
        for role in (Role.SALES, Role.READ):
            _, keys[role] = await create_api_key(
                services,
                organization_id=organization.id,
                spec=ApiKeySpec(name=f"e2e {role.value}", role=role),
            )
        return World(
            organization.id,
            event.id,
            [str(seat.seat_id) for seat in seat_map.by_index],
            keys[Role.SALES],
            keys[Role.READ],
        )
    finally:
        await services.aclose()


def _server_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOELGOED_")}
    metrics = tmp_path / "metrics"  # not a temporary directory left behind by every run
    metrics.mkdir(exist_ok=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    env.update({f"VOELGOED_{key.upper()}": value for key, value in settings.items()})
    return env


@pytest.fixture
async def served(
    e2e_database: str, redis_namespace: str, tmp_path: Path
) -> AsyncIterator[tuple[Server, World]]:
    world = await _make_world(e2e_database)
    env = _server_env(
        tmp_path,
        database_url=e2e_database,
        # 3 workers x 8 connections: the machine's PostgreSQL (100) is shared with other runs.
        database_pool_size="4",
        database_max_overflow="4",
        redis_url=REDIS_URL,
        redis_namespace=redis_namespace,
        api_rate_limit_per_second="1000000",
    )
    server = start_server(env, WORKERS, tmp_path / "server.log")
    try:
        await asyncio.to_thread(wait_until_serving, server, WORKERS)
        yield server, world
    finally:
        server.stop()


# --- the streams --------------------------------------------------------------------------------


@dataclass
class Follower:
    stream: SeatStream
    http: httpx.AsyncClient
    task: asyncio.Task[None]
    worker: int | None

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await self.task
        await self.http.aclose()


async def _follow(server: Server, world: World, name: str) -> Follower:
    stream = SeatStream(name)
    http = httpx.AsyncClient(base_url=server.base_url, timeout=httpx.Timeout(30.0, read=None))
    task = asyncio.create_task(
        stream.follow(
            http,
            f"/events/{world.event_id}/seats/stream",
            {"Authorization": f"Bearer {world.read_key}"},
        )
    )
    ready = asyncio.create_task(stream.ready.wait())
    await asyncio.wait({ready, task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        await task  # raises what went wrong
    assert stream.ready.is_set(), f"{name}: no snapshot within 30 s"
    worker = await asyncio.to_thread(server.owner_of, stream.client_port or -1)
    return Follower(stream, http, task, worker)


async def _followers_on_different_workers(server: Server, world: World) -> list[Follower]:
    """Open streams until STREAMS of them sit on different workers, closing the duplicates.

    The kernel hands a new connection to whichever worker accepts first, often the one that
    accepted the last; connections opened together spread better, so they come in bursts."""
    kept: list[Follower] = []
    spare: list[Follower] = []
    for burst in range(5):
        opened = await asyncio.gather(
            *(_follow(server, world, f"stream-{burst}.{n}") for n in range(2 * STREAMS))
        )
        for follower in opened:
            taken = {f.worker for f in kept}
            if len(kept) < STREAMS and follower.worker is not None and follower.worker not in taken:
                kept.append(follower)
            else:
                spare.append(follower)
        if len(kept) == STREAMS:
            break
    while len(kept) < STREAMS and spare:  # the same worker twice is still a client to check
        kept.append(spare.pop(0))
    for follower in spare:
        await follower.close()
    for number, follower in enumerate(kept):
        follower.stream.name = f"stream {number} (worker {follower.worker})"
    return kept


async def _until_caught_up(
    followers: list[Follower], versions: dict[int, int], seconds: float
) -> None:
    """Until every stream has seen each seat's version, or ``seconds`` passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        behind = [
            f.stream.name
            for f in followers
            if any(f.stream.latest().get(i, (0, 0))[0] < v for i, v in versions.items() if v)
        ]
        if not behind:
            return
        for follower in followers:
            if follower.task.done():
                await follower.task  # a stream that ended early: raise why
                raise AssertionError(f"{follower.stream.name} ended before the storm did")
        await asyncio.sleep(0.1)


# --- the storm ----------------------------------------------------------------------------------


def _run_storm(plans: list[StormPlan]) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(plans)) as pool:
        return pool.map_async(http_storm, plans).get(timeout=180)


async def _warm_up(server: Server, world: World) -> dict[str, Any]:
    """One hold and its release on a quiet seat, in the storm's log format: proves every worker's
    relay is subscribed before the storm starts."""
    log: dict[str, Any] = {"held": [], "sold": [], "released": [], "refused": {}, "errors": []}
    seat = len(world.seat_ids) - 1
    headers = {"Authorization": f"Bearer {world.sales_key}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=30) as http:
        held = await http.post(
            f"/events/{world.event_id}/holds",
            json={"seat_ids": [world.seat_ids[seat]], "holder_ref": "warm-up"},
        )
        at = time.time()
        assert held.status_code == 201, held.text
        hold = held.json()
        log["held"].append(
            {
                "hold": hold["id"],
                "seats": [seat],
                "until_ms": epoch_ms(hold["held_until"]),
                "at": at,
            }
        )
        released = await http.post(f"/holds/{hold['id']}/release")
        assert released.status_code == 200, released.text
        log["released"].append({"hold": hold["id"], "seats": [seat], "at": time.time()})
    return log


# --- the truth ----------------------------------------------------------------------------------


async def _seat_rows(services: Services, event_id: uuid.UUID) -> dict[int, EventSeat]:
    async with services.uow() as uow:
        rows = await uow.session.scalars(sa.select(EventSeat).where(EventSeat.event_id == event_id))
        return {row.seat_index: row for row in rows}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def test_several_workers_agree_under_an_http_storm_and_every_stream_sees_every_change(
    served: tuple[Server, World],
    e2e_database: str,
    redis_namespace: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server, world = served

    def say(line: str) -> None:  # into the run log, even when pytest captures output
        with capsys.disabled():
            print(f"\n  {line}", end="")

    checker = _services(e2e_database, redis_namespace)
    followers: list[Follower] = []
    try:
        before = await _seat_rows(checker, world.event_id)
        followers = await _followers_on_different_workers(server, world)
        workers = {f.worker for f in followers}
        say(f"streams on workers {sorted(w or 0 for w in workers)} of {len(server.workers())}")
        assert len(workers) >= 2, "every stream landed on one worker: the relay is not shown"
        for follower in followers:
            assert follower.stream.initial == [
                STATE_CODES[before[i].status] for i in range(len(before))
            ]

        logs = [await _warm_up(server, world)]
        warm_seat = len(world.seat_ids) - 1
        await _until_caught_up(followers, {warm_seat: before[warm_seat].version + 2}, 10)

        start_at = time.time() + 4  # spawned processes import, connect, then start together
        plans = [
            StormPlan(
                server.base_url,
                world.sales_key,
                str(world.event_id),
                world.seat_ids,
                HOT,
                BUYERS,
                SECONDS,
                start_at,
                seed,
            )
            for seed in range(STORM_PROCESSES)
        ]
        logs += await asyncio.to_thread(_run_storm, plans)
        after = await _seat_rows(checker, world.event_id)
        await _until_caught_up(
            followers, {i: row.version for i, row in after.items()}, LIVENESS_SECONDS + 10
        )
        for follower in followers:
            assert not follower.task.done(), f"{follower.stream.name} ended early"
    finally:
        for follower in followers:
            await follower.close()
        await checker.aclose()

    held = [entry for log in logs for entry in log["held"]]
    sold = [entry for log in logs for entry in log["sold"]]
    released = [entry for log in logs for entry in log["released"]]
    refused: dict[str, int] = {}
    for log in logs:
        for code, count in log["refused"].items():
            refused[code] = refused.get(code, 0) + count
    errors = [error for log in logs for error in log["errors"]]
    say(
        f"storm: {len(held)} holds, {len(sold)} sold, {len(released)} released, "
        f"refused {refused}, errors {len(errors)}"
    )
    # Every request got an answer, and none was a failure on the server's side.
    assert not errors, errors[:5]
    # Floors a slow, shared machine clears easily (runs here made 80-175 holds and 80-300
    # refusals): they only catch a storm that did not happen. The run prints what it did.
    assert len(held) > 40 and len(sold) > 5 and len(released) > 10, "too small a storm"
    assert refused.get("seat_unavailable", 0) > 10, "no real contention"

    # --- the database holds exactly what the buyers were told ---------------------------------
    checker = _services(e2e_database, redis_namespace)
    try:
        after = await _seat_rows(checker, world.event_id)
        async with checker.uow() as uow:
            holds = {
                row.id: row
                for row in await uow.session.scalars(
                    sa.select(SeatHold).where(SeatHold.event_id == world.event_id)
                )
            }
            orders = {
                row.id: row
                for row in await uow.session.scalars(
                    sa.select(Order).where(Order.event_id == world.event_id)
                )
            }
        report = await check_event(
            checker, organization_id=world.organization_id, event_id=world.event_id
        )
        drift = await verify_event_cache(
            checker, EventKey(world.organization_id, world.event_id), repair=False
        )
    finally:
        await checker.aclose()

    ended = {entry["hold"]: "sold" for entry in sold} | {
        entry["hold"]: "released" for entry in released
    }
    order_of = {entry["hold"]: entry["order"] for entry in sold}
    owner: dict[int, tuple[str, str]] = {}  # seat index -> what the clients were told owns it
    for entry in held:
        fate = ended.get(entry["hold"], "kept")
        if fate == "released":
            continue
        claim = ("held", entry["hold"]) if fate == "kept" else ("sold", order_of[entry["hold"]])
        for seat in entry["seats"]:
            assert owner.setdefault(seat, claim) == claim, f"seat {seat}: two owners acknowledged"
    for index, row in after.items():
        if index in owner:
            state, owner_id = owner[index]
            stored = row.hold_id if state == "held" else row.order_id
            assert (row.status.value, str(stored)) == (state, owner_id), f"seat {index}"
        else:
            assert row.status == before[index].status, f"seat {index}: nobody was told it changed"
    for entry in held:
        hold = holds[uuid.UUID(entry["hold"])]  # every 201 is stored
        fate = ended.get(entry["hold"], "kept")
        expected = {
            "kept": HoldStatus.ACTIVE,
            "released": HoldStatus.CANCELLED,
            "sold": HoldStatus.CONVERTED,
        }
        assert hold.status is expected[fate], entry
        if fate == "sold":
            order = orders[uuid.UUID(order_of[entry["hold"]])]
            assert order.status is OrderStatus.COMPLETED and hold.order_id == order.id
    assert len(holds) == len(held), "a hold no client was told about"

    assert report.ok, report.problems[:10]
    assert report.changes >= sum(len(e["seats"]) for e in held)
    assert drift.loaded and drift.drift == 0, drift

    # --- every stream saw every change, in order, in time ---------------------------------------
    delays: dict[str, list[float]] = {"reserve": [], "release": [], "sell": []}
    final_states = [STATE_CODES[after[i].status] for i in range(len(after))]
    for follower in followers:
        stream = follower.stream
        assert (stream.snapshots, stream.other_events) == (1, []), stream.name
        per_seat: dict[int, list[tuple[int, int, int, float]]] = {}
        for index, state, version, until_ms, arrived in stream.changes:
            per_seat.setdefault(index, []).append((version, state, until_ms, arrived))
        for index, row in after.items():
            versions = [change[0] for change in per_seat.get(index, [])]
            assert versions == list(range(before[index].version + 1, row.version + 1)), (
                f"{stream.name}, seat {index}: saw versions {versions}, the database is at "
                f"{row.version}"
            )
        assert stream.final_states() == final_states, stream.name
        # Each acknowledged hold shows as its own change on each of its seats, and the seat's
        # next change is that hold's end, made by its buyer: nobody else owned it in between.
        for entry in held:
            for seat in entry["seats"]:
                changes = per_seat[seat]
                position = next(
                    n
                    for n, (_, state, until_ms, _) in enumerate(changes)
                    if state == 1 and abs(until_ms - entry["until_ms"]) <= 1
                )
                delays["reserve"].append(changes[position][3] - entry["at"])
                fate = ended.get(entry["hold"])
                if fate is None:  # kept: still its seat, so its last change
                    assert position == len(changes) - 1, (stream.name, seat, entry["hold"])
                else:
                    done = next(
                        e
                        for e in (sold if fate == "sold" else released)
                        if e["hold"] == entry["hold"]
                    )
                    version, state, _, arrived = changes[position + 1]
                    assert state == (2 if fate == "sold" else 0), (stream.name, seat, version)
                    delays["sell" if fate == "sold" else "release"].append(arrived - done["at"])
    for kind, values in delays.items():
        if values:
            say(
                f"propagation {kind:<7} (response -> stream, {len(followers)} streams): "
                f"p50 {statistics.median(values) * 1000:.1f} ms, "
                f"p99 {_percentile(values, 0.99) * 1000:.1f} ms, "
                f"max {max(values) * 1000:.1f} ms, "
                f"{sum(v < 0 for v in values) / len(values):.0%} arrived before the response"
            )
    slowest = max(max(values) for values in delays.values() if values)
    assert slowest <= LIVENESS_SECONDS, f"a change took {slowest:.2f} s to reach a stream"


def test_several_workers_without_redis_refuse_to_start(tmp_path: Path) -> None:
    env = _server_env(tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'v.db'}")
    finished = subprocess.run(
        voelgoed("serve", "--workers", "3", "--port", "1"),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in finished.stderr.splitlines() if line.strip()]
    assert finished.returncode == 2, (finished.returncode, finished.stdout, finished.stderr)
    assert len(lines) == 1 and "several workers need Redis" in lines[0], finished.stderr
    assert "VOELGOED_REDIS_URL" in lines[0]
    assert finished.stdout == "" and not (tmp_path / "v.db").exists()
