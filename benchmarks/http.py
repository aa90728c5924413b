"""`voelgoed serve` over HTTP: several worker processes on PostgreSQL and Redis, driven by load
processes of their own, with live seat-stream clients watching.

0. A buyer alone, one request at a time (each hold let go at once): the hold path's own latency
   through HTTP, without a queue in front of it.
a. On-sale: buyers (default 200, in two client processes, one keep-alive connection each) hold
   1-6 seats of a generated 20,000-seat arena, 70% of the time among the best 10% of the house;
   then buy (30%), release (30%) or keep the hold (40%). Hold latency is measured by the client:
   request sent to answer parsed, on the same machine.
b. One seat, 1,000 buyers (in the same two processes, every connection opened beforehand) all
   asking at the same instant: exactly one may be told 201.
c. Propagation: three seat-stream clients (SSE) in the orchestrating process during (a); the delay
   from a buyer receiving its 201 to the change arriving on a stream (one wall clock).

Afterwards: the history replays (`check_event`), every acknowledged hold is in the database,
Redis equals the database, and each stream's final map equals the database's.

The load generators, the server's workers, PostgreSQL and Redis all share this machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from benchmarks.common import REDIS_URL, markdown_table, percentile, record, scratch_postgres

SEATS = 20_000
WORKERS = 3
PROCESSES = 2
STREAMS = 3
RACERS = 1_000
WARM_UP_SECONDS = 2.0
ALONE_SECONDS = 5.0


# --- the server ---------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        # a worker left behind by a parent that died first
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def server_notes(server: Server, limit: int = 10) -> list[str]:
    """The server's log lines other than the access log: warnings, errors, workers restarted."""
    try:
        lines = server.log.read_text(errors="replace").splitlines()
    except OSError:
        return []
    notes = [
        line
        for line in lines
        if '"msg": "request"' not in line
        and ('"level": "warning"' in line or '"level": "error"' in line or "died" in line)
    ]
    return notes[:limit]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(url: str, namespace: str, workers: int, scratch: Path) -> Server:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOELGOED_")}
    env.update(
        {
            "VOELGOED_DATABASE_URL": url,
            # 3 workers x 12 connections: PostgreSQL's 100 are shared with whoever else runs.
            "VOELGOED_DATABASE_POOL_SIZE": "12",
            "VOELGOED_DATABASE_MAX_OVERFLOW": "0",
            "VOELGOED_REDIS_URL": REDIS_URL,
            "VOELGOED_REDIS_NAMESPACE": namespace,
            # One sales key serves every buyer: the limiter still counts (in Redis), never bites.
            "VOELGOED_API_RATE_LIMIT_PER_SECOND": "1000000",
            "PROMETHEUS_MULTIPROC_DIR": str(scratch / "metrics"),
        }
    )
    (scratch / "metrics").mkdir()
    port = _free_port()
    log = scratch / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from voelgoedevents.entrypoints.cli.main import run; run()",
                "serve",
                "--workers",
                str(workers),
                "--port",
                str(port),
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()[-3000:]}")
        started = log.read_text(errors="replace").count("Application startup complete")
        if started >= workers:
            return server
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")


# --- the world ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    organization_id: uuid.UUID
    event_ids: list[uuid.UUID]  # (a) and (b) each get their own event
    seat_ids: list[str]  # seat-index order
    sales_key: str
    read_key: str


async def make_world(url: str, seats: int, events: int) -> World:
    from voelgoedevents.bootstrap import build_services
    from voelgoedevents.domain.access import ApiKeySpec, Role
    from voelgoedevents.domain.events.event import EventSpec, EventStatus
    from voelgoedevents.domain.seating.generator import generate_layout
    from voelgoedevents.domain.seating.layout import LayoutStatus
    from voelgoedevents.domain.tenancy import OrganizationSpec
    from voelgoedevents.domain.venue import VenueSpec
    from voelgoedevents.settings import DatabaseSettings, load_settings
    from voelgoedevents.workflows.access import create_api_key
    from voelgoedevents.workflows.events.create_event import create_event
    from voelgoedevents.workflows.events.event_status import change_event_status
    from voelgoedevents.workflows.seating.import_layout import import_layout
    from voelgoedevents.workflows.seating.layout_lifecycle import change_layout_status
    from voelgoedevents.workflows.tenancy import create_organization, create_venue

    services = build_services(load_settings(database=DatabaseSettings(url=url)), cache_mode="none")
    try:
        org = await create_organization(services, OrganizationSpec(name="Bench", slug="bench-http"))
        venue = await create_venue(services, organization_id=org.id, spec=VenueSpec(name="Arena"))
        layout = await import_layout(
            services,
            organization_id=org.id,
            venue_id=venue.id,
            document=generate_layout("arena", seats, seed=7),
        )
        await change_layout_status(
            services, organization_id=org.id, layout_id=layout.id, target=LayoutStatus.ACTIVE
        )
        now = services.clock()
        event_ids = []
        for number in range(events):
            event = await create_event(
                services,
                organization_id=org.id,
                spec=EventSpec(
                    venue_id=venue.id,
                    layout_id=layout.id,
                    name=f"On-sale {number}",
                    start_at=now + timedelta(days=30),
                    end_at=now + timedelta(days=30, hours=3),
                    sale_start_at=now - timedelta(hours=1),
                ),
            )
            await change_event_status(
                services, organization_id=org.id, event_id=event.id, target=EventStatus.PUBLISHED
            )
            event_ids.append(event.id)
        keys = {}
        for role in (Role.SALES, Role.READ):
            _, keys[role] = await create_api_key(
                services, organization_id=org.id, spec=ApiKeySpec(name=role.value, role=role)
            )
        seat_map = await services.seat_maps.layout(layout.id)
        return World(
            org.id,
            event_ids,
            [str(seat.seat_id) for seat in seat_map.by_index],
            keys[Role.SALES],
            keys[Role.READ],
        )
    finally:
        await services.aclose()


# --- the load processes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    scenario: str  # "onsale" or "race"
    base_url: str
    token: str
    event_id: str
    seat_ids: list[str]
    buyers: int
    seconds: float
    start_at: float
    seed: int


@dataclass
class Tally:
    attempts: int = 0
    holds: int = 0
    seats_held: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # answers no request should get (5xx...)
    lost: list[str] = field(default_factory=list)  # no answer (the connection dropped)
    followups: int = 0  # sales and releases answered
    latencies_ms: list[float] = field(default_factory=list)
    # acknowledged holds: (hold id, seat indexes, held_until epoch ms, wall-clock time of the 201)
    acknowledged: list[tuple[str, list[int], int, float]] = field(default_factory=list)


def _epoch_ms(moment: str) -> int:
    return int(datetime.fromisoformat(moment).timestamp() * 1000)


def load_worker(load: Load) -> Tally:
    return asyncio.run(_load(load))


async def _load(load: Load) -> Tally:
    rng = random.Random(load.seed)
    tally = Tally()
    index = {seat: i for i, seat in enumerate(load.seat_ids)}
    hot = load.seat_ids[: max(6, len(load.seat_ids) // 10)]
    limits = httpx.Limits(max_connections=load.buyers, max_keepalive_connections=load.buyers)
    headers = {"Authorization": f"Bearer {load.token}"}
    holds_url = f"/events/{load.event_id}/holds"

    async def reserve(seats: list[str], holder: str) -> dict[str, Any] | None:
        started = time.perf_counter()
        try:
            answer = await http.post(holds_url, json={"seat_ids": seats, "holder_ref": holder})
        except httpx.HTTPError as exc:
            tally.lost.append(f"reserve: {exc!r}"[:200])
            return None
        finally:
            tally.attempts += 1
        received = time.time()
        tally.latencies_ms.append((time.perf_counter() - started) * 1000)
        status = str(answer.status_code)
        if answer.status_code != 201:
            try:
                status += " " + str(answer.json().get("code", "?"))
            except ValueError:
                status += " (not JSON)"
        tally.statuses[status] = tally.statuses.get(status, 0) + 1
        if answer.status_code not in (201, 409, 503):
            tally.errors.append(f"reserve: {answer.status_code} {answer.text[:200]}")
        if answer.status_code != 201:
            return None
        hold: dict[str, Any] = answer.json()
        tally.holds += 1
        tally.seats_held += len(seats)
        indexes = sorted(index[seat] for seat in seats)
        tally.acknowledged.append((hold["id"], indexes, _epoch_ms(hold["held_until"]), received))
        return hold

    async def buyer(number: int) -> None:
        holder = f"p{load.seed}-b{number}"
        while time.time() < load.start_at + load.seconds:
            pool = hot if rng.random() < 0.7 else load.seat_ids
            hold = await reserve(rng.sample(pool, rng.randint(1, 6)), holder)
            if hold is None:
                continue
            await asyncio.sleep(rng.uniform(0, 0.05))  # the buyer looks at the basket
            roll = rng.random()
            path = "order" if roll < 0.3 else "release" if roll < 0.6 else None
            if path is None:
                continue  # keeps the hold (ten minutes: it outlives the run)
            await follow_up(hold, path)

    async def follow_up(hold: dict[str, Any], path: str) -> None:
        try:
            answer = await http.post(f"/holds/{hold['id']}/{path}")
        except httpx.HTTPError as exc:
            tally.lost.append(f"{path}: {exc!r}"[:200])
            return
        tally.followups += 1
        if answer.status_code not in (200, 201):
            tally.errors.append(f"{path}: {answer.status_code} {answer.text[:200]}")

    async def alone() -> None:
        """One buyer, one request at a time, away from the crowd: each hold let go at once."""
        cold = load.seat_ids[len(hot) :]
        while time.time() < load.start_at + load.seconds:
            hold = await reserve(rng.sample(cold, rng.randint(1, 6)), "alone")
            if hold is not None:
                await follow_up(hold, "release")

    async def racer(number: int) -> None:
        await asyncio.sleep(max(0.0, load.start_at - time.time()))
        await reserve([load.seat_ids[0]], f"r{load.seed}-{number}")

    async with httpx.AsyncClient(
        base_url=load.base_url, headers=headers, limits=limits, timeout=60.0
    ) as http:
        # Every connection open just before the start (the run measures holds, not TCP
        # handshakes), but not so early that the server's 5 s keep-alive timeout closes them.
        await asyncio.sleep(max(0.0, load.start_at - WARM_UP_SECONDS - time.time()))
        await asyncio.gather(*(http.get("/health") for _ in range(load.buyers)))
        if load.scenario == "race":
            await asyncio.gather(*(racer(n) for n in range(load.buyers)))
        elif load.scenario == "alone":
            await asyncio.sleep(max(0.0, load.start_at - time.time()))
            await alone()
        else:
            await asyncio.sleep(max(0.0, load.start_at - time.time()))
            await asyncio.gather(*(buyer(n) for n in range(load.buyers)))
    return tally


def run_loads(loads: list[Load]) -> list[Tally]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(loads)) as pool:
        return pool.map(load_worker, loads)


# --- the seat streams ---------------------------------------------------------------------------


@dataclass
class Stream:
    states: list[int] = field(default_factory=list)
    versions: dict[int, int] = field(default_factory=dict)
    # (index, state, held_until_ms) -> wall-clock arrival
    arrivals: dict[tuple[int, int, int], float] = field(default_factory=dict)
    out_of_order: int = 0
    resyncs: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def follow(self, base_url: str, token: str, event_id: uuid.UUID) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        timeout = httpx.Timeout(30.0, read=None)
        async with (
            httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout) as http,
            http.stream("GET", f"/events/{event_id}/seats/stream") as response,
        ):
            kind, data = "", ""
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif line == "" and data:
                    self._take(kind, json.loads(data), time.time())
                    kind, data = "", ""

    def _take(self, kind: str, data: dict[str, Any], arrived: float) -> None:
        if kind == "snapshot":
            raw = base64.b64decode(data["states"])
            self.states = [
                (raw[i // 4] >> (6 - 2 * (i % 4))) & 3 for i in range(data["seat_count"])
            ]
            self.resyncs += self.ready.is_set()
            self.ready.set()
        elif kind == "seats":
            for index, state, version, held_until_ms in data["changes"]:
                if version <= self.versions.get(index, 0):
                    self.out_of_order += 1
                    continue
                self.versions[index] = version
                self.states[index] = state
                self.arrivals.setdefault((index, state, held_until_ms), arrived)
        elif kind == "resync":
            self.resyncs += 1


# --- checks and the report ----------------------------------------------------------------------


async def end_state(
    url: str,
    namespace: str,
    world: World,
    event_id: uuid.UUID,
    tallies: list[Tally],
    streams: list[Stream],
) -> str:
    import sqlalchemy as sa

    from voelgoedevents.adapters.cache.port import STATE_CODES, EventKey
    from voelgoedevents.adapters.database.tables import EventSeat, SeatHold
    from voelgoedevents.bootstrap import build_services
    from voelgoedevents.settings import DatabaseSettings, RedisSettings, load_settings
    from voelgoedevents.workflows.ticketing.cache_sync import verify_event_cache
    from voelgoedevents.workflows.ticketing.invariants import check_event

    services = build_services(
        load_settings(
            database=DatabaseSettings(url=url),
            redis=RedisSettings(url=REDIS_URL, namespace=namespace),
        ),
        cache_mode="redis",
    )
    problems: list[str] = []
    try:
        report = await check_event(
            services, organization_id=world.organization_id, event_id=event_id
        )
        problems += report.problems[:3]
        acknowledged = {uuid.UUID(hold) for t in tallies for hold, *_ in t.acknowledged}
        async with services.uow() as uow:
            stored = set(
                await uow.session.scalars(
                    sa.select(SeatHold.id).where(SeatHold.event_id == event_id)
                )
            )
            truth = {
                row.seat_index: STATE_CODES[row.status]
                for row in await uow.session.execute(
                    sa.select(EventSeat.seat_index, EventSeat.status).where(
                        EventSeat.event_id == event_id
                    )
                )
            }
        if acknowledged - stored:
            problems.append(f"{len(acknowledged - stored)} acknowledged holds missing")
        drift = await verify_event_cache(
            services, EventKey(world.organization_id, event_id), repair=False
        )
        if drift.drift or not drift.loaded:
            problems.append(f"cache drift {drift.drift}")
        final = [truth[i] for i in range(len(truth))]
        for number, stream in enumerate(streams):
            if stream.states != final:
                wrong = sum(a != b for a, b in zip(stream.states, final, strict=True))
                problems.append(f"stream {number}: {wrong} seats differ from the database")
            if stream.out_of_order or stream.resyncs:
                problems.append(
                    f"stream {number}: {stream.out_of_order} stale changes, "
                    f"{stream.resyncs} resyncs"
                )
    finally:
        await services.aclose()
    return "ok" if not problems else "FAILED: " + "; ".join(problems)


async def holds_stored(url: str, event_id: uuid.UUID) -> int:
    """Holds the database has for an event, whatever any client was told."""
    import sqlalchemy as sa

    from voelgoedevents.adapters.database.tables import SeatHold
    from voelgoedevents.bootstrap import build_services
    from voelgoedevents.settings import DatabaseSettings, load_settings

    services = build_services(load_settings(database=DatabaseSettings(url=url)), cache_mode="none")
    try:
        async with services.uow() as uow:
            count = await uow.session.scalar(
                sa.select(sa.func.count())
                .select_from(SeatHold)
                .where(SeatHold.event_id == event_id)
            )
    finally:
        await services.aclose()
    return int(count or 0)


def _percentile(values: list[float], share: float) -> float:
    return percentile(values, share, empty=float("nan"))  # no value: shown as nan, not 0


def _propagation(tallies: list[Tally], streams: list[Stream]) -> tuple[list[float], int]:
    """Seconds from each 201 to its change on each stream; and how many never arrived."""
    delays, missing = [], 0
    for tally in tallies:
        for _, seats, until_ms, received in tally.acknowledged:
            for stream in streams:
                arrived = [stream.arrivals.get((seat, 1, until_ms)) for seat in seats]
                if any(moment is None for moment in arrived):
                    missing += 1
                    continue
                delays.append(max(m for m in arrived if m is not None) - received)
    return delays, missing


async def _wait_for_streams(streams: list[Stream], tallies: list[Tally], seconds: float) -> None:
    """Until every acknowledged hold has reached every stream, or ``seconds`` passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and _propagation(tallies, streams)[1]:  # noqa: ASYNC110
        await asyncio.sleep(0.2)


async def _main(buyers: int, seconds: float, workers: int, seats: int) -> dict[str, Any]:
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    results: dict[str, Any] = {}
    try:
        async with scratch_postgres() as url:
            world = await make_world(url, seats, events=2)
            onsale, race = world.event_ids
            with tempfile.TemporaryDirectory(prefix="voelgoed-bench-") as scratch:
                server = await asyncio.to_thread(
                    start_server, url, namespace, workers, Path(scratch)
                )
                try:
                    results = await _scenarios(server, world, onsale, race, buyers, seconds)
                    results["checks"] = await end_state(
                        url,
                        namespace,
                        world,
                        onsale,
                        results["alone"] + results["onsale"],
                        results["streams"],
                    )
                    results["race_holds"] = await holds_stored(url, race)
                finally:
                    server.stop()
                    results["notes"] = server_notes(server)
    finally:
        client = Redis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(match=f"{namespace}:*", count=1000)]
        for start in range(0, len(keys), 500):
            await client.unlink(*keys[start : start + 500])
        await client.aclose()
    return results


async def _scenarios(
    server: Server,
    world: World,
    onsale: uuid.UUID,
    race: uuid.UUID,
    buyers: int,
    seconds: float,
) -> dict[str, Any]:
    streams = [Stream() for _ in range(STREAMS)]
    following = [
        asyncio.create_task(stream.follow(server.base_url, world.read_key, onsale))
        for stream in streams
    ]
    await asyncio.wait_for(asyncio.gather(*(stream.ready.wait() for stream in streams)), 60)
    load_before = os.getloadavg()[0]
    print(f"  (0) one buyer alone for {ALONE_SECONDS:.0f} s ...", flush=True)
    solo = Load(
        "alone",
        server.base_url,
        world.sales_key,
        str(onsale),
        world.seat_ids,
        1,
        ALONE_SECONDS,
        time.time() + 6,
        PROCESSES,
    )
    alone = await asyncio.to_thread(run_loads, [solo])
    loads = [
        Load(
            "onsale",
            server.base_url,
            world.sales_key,
            str(onsale),
            world.seat_ids,
            buyers // PROCESSES,
            seconds,
            time.time() + 8,  # spawned processes import and open their connections first
            seed,
        )
        for seed in range(PROCESSES)
    ]
    print(f"  (a) {buyers} buyers for {seconds:.0f} s ...", flush=True)
    tallies = await asyncio.to_thread(run_loads, loads)
    await _wait_for_streams(streams, tallies, seconds=15)
    for task in following:
        task.cancel()
    await asyncio.gather(*following, return_exceptions=True)
    print(f"  (b) {RACERS} buyers for one seat ...", flush=True)
    racers = [
        Load(
            "race",
            server.base_url,
            world.sales_key,
            str(race),
            world.seat_ids,
            RACERS // PROCESSES,
            0,
            time.time() + 10,
            seed,
        )
        for seed in range(PROCESSES)
    ]
    race_tallies = await asyncio.to_thread(run_loads, racers)
    load = (load_before, os.getloadavg()[0])
    return {
        "alone": alone,
        "onsale": tallies,
        "race": race_tallies,
        "streams": streams,
        "load": load,
    }


def _merge(tallies: list[Tally]) -> Tally:
    merged = Tally()
    for tally in tallies:
        merged.attempts += tally.attempts
        merged.holds += tally.holds
        merged.seats_held += tally.seats_held
        merged.errors += tally.errors
        merged.lost += tally.lost
        merged.followups += tally.followups
        merged.latencies_ms += tally.latencies_ms
        for status, count in tally.statuses.items():
            merged.statuses[status] = merged.statuses.get(status, 0) + count
    return merged


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=WORKERS, help="server processes")
    parser.add_argument("--seats", type=int, default=SEATS)


def main(arguments: argparse.Namespace) -> None:
    buyers, seconds = arguments.buyers, arguments.seconds
    workers, seats = arguments.workers, arguments.seats
    results = asyncio.run(_main(buyers, seconds, workers, seats))
    alone, onsale, race = (_merge(results[name]) for name in ("alone", "onsale", "race"))
    delays, missing = _propagation(results["onsale"], results["streams"])
    delays_ms = [delay * 1000 for delay in delays]
    winners = race.statuses.get("201", 0)
    # Exactly one buyer told 201 (unless its answer was lost), and exactly one hold stored.
    race_ok = results["race_holds"] == 1 and (winners == 1 or (winners == 0 and race.lost))
    answers = ", ".join(f"{count} x {status}" for status, count in sorted(race.statuses.items()))
    rows = [
        (
            "0. one buyer alone, 1-6 seats, one request at a time",
            f"{alone.attempts / ALONE_SECONDS:,.0f}",
            f"{alone.holds / ALONE_SECONDS:,.0f}",
            f"{alone.seats_held / ALONE_SECONDS:,.0f}",
            f"{_percentile(alone.latencies_ms, 0.5):.0f}",
            f"{_percentile(alone.latencies_ms, 0.95):.0f}",
            f"{_percentile(alone.latencies_ms, 0.99):.0f}",
            f"each hold released at once; {len(alone.errors)} errors",
        ),
        (
            f"a. on-sale: {buyers} buyers, 1-6 seats",
            f"{onsale.attempts / seconds:,.0f}",
            f"{onsale.holds / seconds:,.0f}",
            f"{onsale.seats_held / seconds:,.0f}",
            f"{_percentile(onsale.latencies_ms, 0.5):.0f}",
            f"{_percentile(onsale.latencies_ms, 0.95):.0f}",
            f"{_percentile(onsale.latencies_ms, 0.99):.0f}",
            f"{1 - onsale.holds / max(1, onsale.attempts):.0%} refused, "
            f"{len(onsale.errors)} errors, {len(onsale.lost)} answers lost; "
            f"end state {results['checks']}",
        ),
        (
            f"b. {RACERS:,} buyers, one seat",
            f"{race.attempts:,} at once",
            "",
            "",
            f"{_percentile(race.latencies_ms, 0.5):.0f}",
            f"{_percentile(race.latencies_ms, 0.95):.0f}",
            f"{_percentile(race.latencies_ms, 0.99):.0f}",
            f"{answers}; {len(race.lost)} answers lost; the database has "
            f"{results['race_holds']} hold" + ("" if race_ok else " (FAILED: not exactly one)"),
        ),
        (
            f"c. propagation to {STREAMS} streams during (a)",
            f"{len(delays):,} changes",
            "",
            "",
            f"{_percentile(delays_ms, 0.5):.0f}",
            f"{_percentile(delays_ms, 0.95):.0f}",
            f"{_percentile(delays_ms, 0.99):.0f}",
            f"201 -> change on the stream; {missing} never arrived; "
            f"{sum(d < 0 for d in delays) / max(1, len(delays)):.0%} arrived before the 201",
        ),
    ]
    table = markdown_table(
        [
            "scenario",
            "attempts/s",
            "holds/s",
            "seats held/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "outcome",
        ],
        rows,
    )
    verdicts = _verdicts(alone, onsale, seconds, buyers, delays_ms, workers, results["load"])
    print(table)
    print("\n".join(verdicts))
    for error in (alone.errors + onsale.errors + race.errors)[:5]:
        print("error:", error)
    for lost in (onsale.lost + race.lost)[:5]:  # a dropped keep-alive connection, say
        print("lost:", lost)
    for note in results["notes"]:
        try:
            line = json.loads(note)
            error = str(line.get("error", "")).strip().splitlines()
            print("server:", line.get("level"), line.get("msg"), error[-1] if error else "")
        except ValueError:
            print("server:", note[:300])
    record(
        "http",
        f"HTTP: `voelgoed serve --workers {workers}`, PostgreSQL + Redis, {seats:,} seats",
        __doc__.split("\n\n", 1)[1] + "\n\n" + table + "\n\n" + "\n".join(verdicts),
    )
    wrong = alone.errors or onsale.errors or race.errors
    if not race_ok or wrong or results["checks"] != "ok" or missing:
        raise SystemExit("http benchmark: a correctness check failed (see above)")


def _verdicts(
    alone: Tally,
    onsale: Tally,
    seconds: float,
    buyers: int,
    delays_ms: list[float],
    workers: int,
    load: tuple[float, float],
) -> list[str]:
    seats_per_second = onsale.seats_held / seconds
    answered = max(1.0, (onsale.attempts + onsale.followups) / seconds)
    mean_s = sum(onsale.latencies_ms) / max(1, len(onsale.latencies_ms)) / 1000
    p99 = _percentile(onsale.latencies_ms, 0.99)
    propagation_p50, propagation_p99 = _percentile(delays_ms, 0.5), _percentile(delays_ms, 0.99)
    cores = os.cpu_count()
    return [
        f"- Seat holds: {seats_per_second:,.0f} seats held/s (target: thousands per second, "
        f">= 1,000): {'met' if seats_per_second >= 1_000 else 'missed'}.",
        f"- Hold latency p99 {p99:.0f} ms with {buyers} buyers (target < 50 ms): "
        f"{'met' if p99 < 50 else 'missed'}. A buyer alone: p99 "
        f"{_percentile(alone.latencies_ms, 0.99):.0f} ms, p50 "
        f"{_percentile(alone.latencies_ms, 0.5):.0f} ms.",
        f"- With {buyers} buyers always waiting on a server that answered {answered:,.0f} "
        f"requests/s (holds, sales, releases), each waits about {buyers / answered:.1f} s "
        "(Little's law); "
        f"the measured mean was {mean_s:.1f} s: under load the latency is the queue.",
        f"- Propagation p99 {propagation_p99:.0f} ms, p50 {propagation_p50:.0f} ms (target < 150 "
        f"ms): {'met' if propagation_p99 < 150 else 'missed'}. Measured from the moment the "
        "buyer receives its 201, which under load mostly comes after the change reached the "
        "streams (negative delays); from the commit itself, each delay is longer by the time "
        "the answer took to leave the server.",
        f"- On this {cores}-core machine the {PROCESSES} load processes, the stream clients, the "
        f"{workers} server workers, PostgreSQL and Redis all share the same {cores} cores (load "
        f"average {load[0]:.1f} before the run, {load[1]:.1f} after it): latencies include "
        "queueing for a core.",
    ]
