"""An on-sale storm through the library API: Redis mode, database-only mode and a bare floor.

Buyers (default 200, in two processes) each ask for 1-6 seats, 70% of the time among the best
10% of the house (real contention); refused, they pick again after a moment (0-50 ms); on a
hold they think as briefly, then buy (30%), let go (30%) or walk away and let the hold lapse
(40%). The clock runs 120 times fast so lapsed holds expire
during the run and the sweeper frees them, as in a real on-sale.

The floor does only what no implementation can skip: per hold one Lua check-and-set on a bitmap
and one conditional UPDATE on a bare table (no hold rows, orders, audit, fencing or cache
beyond the bits), with equally bare release, sale and sweep. It is the machine's ceiling.

In Redis mode the event is loaded into Redis before the doors open (`cache load s`). Hold
latencies are those of requests that got a hold; `any answer p50` includes refusals, which
Redis mode answers without touching the database. With 1,000 seats the house sells out within
seconds, so holds/s there measures supply, not speed: compare answers/s.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from redis.asyncio import BlockingConnectionPool, Redis

from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.bootstrap import Services, build_services
from voelgoedevents.clocks import ScaledClock
from voelgoedevents.domain.errors import DomainError
from voelgoedevents.domain.events.event import EventSpec, EventStatus
from voelgoedevents.domain.seating.generator import generate_layout
from voelgoedevents.domain.seating.layout import LayoutStatus
from voelgoedevents.domain.tenancy import OrganizationSpec
from voelgoedevents.domain.ticketing.reservation import ReserveRequest
from voelgoedevents.domain.venue import VenueSpec
from voelgoedevents.settings import DatabaseSettings, HoldSettings, RedisSettings, load_settings

from benchmarks.common import REDIS_URL, markdown_table, percentile, record, scratch_postgres
from benchmarks.steady import steady_latency

ORIGIN = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
SIZES = (1_000, 20_000, 100_000)
MODES = ("redis", "database", "floor")
WARP = 120.0
PROCESSES = 2


@dataclass(frozen=True)
class Plan:
    mode: str
    database_url: str
    organization_id: uuid.UUID
    event_id: uuid.UUID
    seat_ids: list[str]
    seat_indexes: list[int]
    buyers: int
    seconds: float
    start_at: float
    wall_zero: float
    namespace: str
    seed: int


@dataclass
class Tally:
    attempts: int = 0
    holds: int = 0
    seats_held: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)  # every answer
    hold_latencies_ms: list[float] = field(default_factory=list)  # answers that were a hold
    acknowledged: list[str] = field(default_factory=list)
    counters: dict[str, float] = field(default_factory=dict)  # the engine's own, per process


class Buyers:
    """The same buyers for every mode: what they ask for and what they do with a hold."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        count = len(plan.seat_ids)
        self.hot = list(range(max(6, count // 10)))
        self.all = list(range(count))

    def wanted(self) -> list[int]:
        pool = self.hot if self.rng.random() < 0.7 else self.all
        return self.rng.sample(pool, self.rng.randint(1, 6))

    def next_step(self) -> str:
        roll = self.rng.random()
        return "sell" if roll < 0.3 else "release" if roll < 0.6 else "lapse"

    def think(self) -> float:
        return self.rng.uniform(0, 0.05)


# --- the engine (Redis or database-only) --------------------------------------------------------


def _services(plan: Plan) -> Services:
    settings = load_settings(
        database=DatabaseSettings(url=plan.database_url, pool_size=8, max_overflow=8),
        redis=RedisSettings(url=REDIS_URL, namespace=plan.namespace),
        holds=HoldSettings(sweep_interval_seconds=0.25),
    )
    clock = ScaledClock(ORIGIN, plan.wall_zero, WARP)
    return build_services(
        settings, clock=clock, cache_mode="redis" if plan.mode == "redis" else "none"
    )


async def _engine_worker(plan: Plan) -> Tally:
    from voelgoedevents.workflows.ticketing.expire_holds import run_sweeper
    from voelgoedevents.workflows.ticketing.release_seat import release_seat
    from voelgoedevents.workflows.ticketing.reserve_seat import reserve_seat
    from voelgoedevents.workflows.ticketing.sell_hold import sell_hold

    services = _services(plan)
    buyers, tally = Buyers(plan), Tally()
    org, event = plan.organization_id, plan.event_id
    await services.seat_maps.event(org, event)
    seat_ids = [uuid.UUID(seat) for seat in plan.seat_ids]

    async def buyer(number: int) -> None:
        while time.time() < plan.start_at + plan.seconds:
            wanted = [seat_ids[i] for i in buyers.wanted()]
            request = ReserveRequest(seat_ids=wanted, holder_ref=f"b{plan.seed}-{number}")
            started = time.perf_counter()
            try:
                held = await reserve_seat(
                    services, organization_id=org, event_id=event, request=request
                )
            except DomainError as exc:
                tally.refused[exc.code] = tally.refused.get(exc.code, 0) + 1
                await asyncio.sleep(buyers.think())  # a refused buyer picks again
                continue
            except Exception as exc:
                tally.errors.append(repr(exc)[:200])
                continue
            finally:
                tally.attempts += 1
                tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            tally.holds += 1
            tally.seats_held += len(wanted)
            tally.hold_latencies_ms.append(tally.latencies_ms[-1])
            tally.acknowledged.append(str(held.id))
            await asyncio.sleep(buyers.think())
            step = buyers.next_step()
            try:
                if step == "sell":
                    await sell_hold(services, organization_id=org, hold_id=held.id)
                elif step == "release":
                    await release_seat(services, organization_id=org, hold_id=held.id)
            except DomainError:
                pass  # lapsed while thinking: counted by the end-state checks, not here

    stop = asyncio.Event()
    await asyncio.sleep(max(0.0, plan.start_at - time.time()))
    sweeper = asyncio.create_task(run_sweeper(services, stop))
    await asyncio.gather(*(buyer(n) for n in range(plan.buyers)))
    stop.set()
    await sweeper
    await services.aclose()
    tally.counters = _engine_counters()
    return tally


def _engine_counters() -> dict[str, float]:
    """What the engine did behind the answers: cache fallbacks, rebuilds, lock waits."""
    from prometheus_client import REGISTRY

    names = {
        "fallbacks": "voelgoed_cache_fallbacks_total",
        "rebuilds": "voelgoed_cache_rebuilds_total",
        "lock_waits": "voelgoed_lock_waits_total",
    }
    return {key: REGISTRY.get_sample_value(name) or 0.0 for key, name in names.items()}


# --- the floor ----------------------------------------------------------------------------------

CHECK_AND_SET = """
for i = 1, #ARGV do
  if redis.call('GETBIT', KEYS[1], ARGV[i]) == 1 then return 0 end
end
for i = 1, #ARGV do redis.call('SETBIT', KEYS[1], ARGV[i], 1) end
return 1
"""
CLEAR = "for i = 1, #ARGV do redis.call('SETBIT', KEYS[1], ARGV[i], 0) end return 1"


async def _floor_worker(plan: Plan) -> Tally:
    pool = await asyncpg.create_pool(
        plan.database_url.replace("+asyncpg", ""), min_size=8, max_size=16
    )
    redis = Redis(connection_pool=BlockingConnectionPool.from_url(REDIS_URL, max_connections=64))
    claim, clear = redis.register_script(CHECK_AND_SET), redis.register_script(CLEAR)
    bits = f"{plan.namespace}:floor:{{{plan.event_id}}}:bits"
    clock = ScaledClock(ORIGIN, plan.wall_zero, WARP)
    buyers, tally = Buyers(plan), Tally()
    event = plan.event_id

    async def free(sql: str, *args: Any) -> None:
        rows = await pool.fetch(sql, *args)
        if rows:
            await clear(keys=[bits], args=[row["seat_index"] for row in rows])

    async def buyer(number: int) -> None:
        while time.time() < plan.start_at + plan.seconds:
            wanted = [plan.seat_indexes[i] for i in buyers.wanted()]
            hold = uuid.uuid4()
            started = time.perf_counter()
            tally.attempts += 1
            won = await claim(keys=[bits], args=wanted)
            if won:
                updated = await pool.execute(
                    "UPDATE floor_seats SET status = 'held', hold_id = $1, held_until = $2 "
                    "WHERE event_id = $3 AND seat_index = ANY($4) AND status = 'available'",
                    hold,
                    clock() + timedelta(minutes=10),
                    event,
                    wanted,
                )
                won = updated == f"UPDATE {len(wanted)}"
            tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            if not won:
                tally.refused["seat_unavailable"] = tally.refused.get("seat_unavailable", 0) + 1
                await asyncio.sleep(buyers.think())  # a refused buyer picks again
                continue
            tally.holds += 1
            tally.seats_held += len(wanted)
            tally.hold_latencies_ms.append(tally.latencies_ms[-1])
            await asyncio.sleep(buyers.think())
            step = buyers.next_step()
            if step == "sell":
                await pool.execute(
                    "UPDATE floor_seats SET status = 'sold' WHERE hold_id = $1 AND status = 'held'",
                    hold,
                )
            elif step == "release":
                await free(
                    "UPDATE floor_seats SET status = 'available', hold_id = NULL WHERE "
                    "hold_id = $1 AND status = 'held' RETURNING seat_index",
                    hold,
                )

    async def sweeper(stop: asyncio.Event) -> None:
        while not stop.is_set():
            await free(
                "UPDATE floor_seats SET status = 'available', hold_id = NULL WHERE "
                "event_id = $1 AND status = 'held' AND held_until <= $2 "
                "RETURNING seat_index",
                event,
                clock(),
            )
            await asyncio.sleep(0.25)

    stop = asyncio.Event()
    await asyncio.sleep(max(0.0, plan.start_at - time.time()))
    sweeping = asyncio.create_task(sweeper(stop))
    await asyncio.gather(*(buyer(n) for n in range(plan.buyers)))
    stop.set()
    await sweeping
    await pool.close()
    await redis.aclose()
    return tally


def _worker(plan: Plan) -> Tally:
    return asyncio.run(_floor_worker(plan) if plan.mode == "floor" else _engine_worker(plan))


# --- set-up, checks, report ---------------------------------------------------------------------


async def _venue(services: Services, seats: int) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    from voelgoedevents.workflows.seating.import_layout import import_layout
    from voelgoedevents.workflows.seating.layout_lifecycle import change_layout_status
    from voelgoedevents.workflows.tenancy import create_organization, create_venue

    organization = await create_organization(
        services, OrganizationSpec(name="Bench", slug=f"bench-{seats}")
    )
    venue = await create_venue(
        services, organization_id=organization.id, spec=VenueSpec(name="Arena")
    )
    layout = await import_layout(
        services,
        organization_id=organization.id,
        venue_id=venue.id,
        document=generate_layout("arena", seats, seed=7),
    )
    await change_layout_status(
        services, organization_id=organization.id, layout_id=layout.id, target=LayoutStatus.ACTIVE
    )
    return organization.id, venue.id, layout.id


async def _event(
    services: Services, org: uuid.UUID, venue: uuid.UUID, layout: uuid.UUID
) -> uuid.UUID:
    from voelgoedevents.workflows.events.create_event import create_event
    from voelgoedevents.workflows.events.event_status import change_event_status

    event = await create_event(
        services,
        organization_id=org,
        spec=EventSpec(
            venue_id=venue,
            layout_id=layout,
            name="On-sale",
            start_at=ORIGIN + timedelta(days=30),
            end_at=ORIGIN + timedelta(days=30, hours=3),
            sale_start_at=ORIGIN - timedelta(days=1),
        ),
    )
    await change_event_status(
        services, organization_id=org, event_id=event.id, target=EventStatus.PUBLISHED
    )
    return event.id


async def _warm(url: str, org: uuid.UUID, event: uuid.UUID, namespace: str) -> float:
    """Load the event into Redis before the doors open (what `voelgoed cache rebuild` does);
    returns the seconds it took. Cold, the first buyer loads it and everyone else goes to the
    database meanwhile."""
    from voelgoedevents.workflows.ticketing.cache_sync import rebuild_event_cache

    services = build_services(
        load_settings(
            database=DatabaseSettings(url=url),
            redis=RedisSettings(url=REDIS_URL, namespace=namespace, socket_timeout_seconds=5),
        ),
        cache_mode="redis",
        clock=lambda: ORIGIN,
    )
    try:
        started = time.perf_counter()
        if not await rebuild_event_cache(services, EventKey(org, event)):
            raise RuntimeError("could not load the event into Redis")
        return time.perf_counter() - started
    finally:
        await services.aclose()


async def _floor_table(url: str, event: uuid.UUID, seats: int) -> None:
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS floor_seats (event_id uuid, seat_index int, "
            "status text NOT NULL, hold_id uuid, held_until timestamptz, "
            "PRIMARY KEY (event_id, seat_index))"
        )
        await connection.execute(
            "CREATE INDEX IF NOT EXISTS floor_seats_hold ON floor_seats (hold_id)"
        )
        await connection.execute(
            "INSERT INTO floor_seats SELECT $1, i, 'available' FROM generate_series(0, $2) i",
            event,
            seats - 1,
        )
    finally:
        await connection.close()


async def _checks(url: str, plan: Plan, tallies: list[Tally]) -> str:
    """The end state: a legal history, every acknowledged hold stored, Redis equal to the
    database (Redis mode); for the floor, bits equal to rows."""
    from sqlalchemy import func, select

    from voelgoedevents.adapters.database.tables import SeatHold
    from voelgoedevents.workflows.ticketing.cache_sync import verify_event_cache
    from voelgoedevents.workflows.ticketing.expire_holds import sweep_once
    from voelgoedevents.workflows.ticketing.invariants import check_event

    if plan.mode == "floor":
        return await _floor_checks(url, plan)
    services = _services(plan)
    try:
        await sweep_once(services)
        report = await check_event(
            services, organization_id=plan.organization_id, event_id=plan.event_id
        )
        acknowledged = {hold for tally in tallies for hold in tally.acknowledged}
        async with services.uow() as uow:
            stored = await uow.session.scalar(
                select(func.count())
                .select_from(SeatHold)
                .where(SeatHold.id.in_([uuid.UUID(h) for h in acknowledged]))
            )
        problems = list(report.problems)
        if stored != len(acknowledged):
            problems.append(f"{len(acknowledged) - (stored or 0)} acknowledged holds missing")
        if plan.mode == "redis":
            drift = await verify_event_cache(
                services, EventKey(plan.organization_id, plan.event_id), repair=False
            )
            if drift.drift or not drift.loaded:
                problems.append(f"cache drift {drift.drift}")
    finally:
        await services.aclose()
    return "ok" if not problems else f"FAILED: {problems[:3]}"


async def _floor_checks(url: str, plan: Plan) -> str:
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    redis = Redis.from_url(REDIS_URL)
    try:
        taken = {
            row["seat_index"]
            for row in await connection.fetch(
                "SELECT seat_index FROM floor_seats WHERE event_id = $1 AND status <> 'available'",
                plan.event_id,
            )
        }
        raw = await redis.get(f"{plan.namespace}:floor:{{{plan.event_id}}}:bits") or b""
        bits = {index for index in range(len(raw) * 8) if raw[index // 8] >> (7 - index % 8) & 1}
        await redis.delete(f"{plan.namespace}:floor:{{{plan.event_id}}}:bits")
    finally:
        await connection.close()
        await redis.aclose()
    return "ok" if bits == taken else f"FAILED: {len(bits ^ taken)} bits differ from rows"


async def _run(
    url: str, seats: int, modes: tuple[str, ...], buyers: int, seconds: float, namespace: str
) -> list[dict[str, Any]]:
    setup = build_services(
        load_settings(database=DatabaseSettings(url=url)), cache_mode="none", clock=lambda: ORIGIN
    )
    org, venue, layout = await _venue(setup, seats)
    seat_map = await setup.seat_maps.layout(layout)
    rows = []
    for mode in modes:
        event = await _event(setup, org, venue, layout)
        if mode == "floor":
            await _floor_table(url, event, seats)
        load_seconds = await _warm(url, org, event, namespace) if mode == "redis" else 0.0
        wall_zero = time.time()
        plans = [
            Plan(
                mode,
                url,
                org,
                event,
                [str(s.seat_id) for s in seat_map.by_index],
                [s.index for s in seat_map.by_index],
                buyers // PROCESSES,
                seconds,
                wall_zero + 5,
                wall_zero,
                namespace,
                seed,
            )
            for seed in range(PROCESSES)
        ]
        context = multiprocessing.get_context("spawn")
        with context.Pool(PROCESSES) as pool:
            tallies = await asyncio.to_thread(pool.map, _worker, plans)
        checks = await _checks(url, plans[0], tallies)
        latencies = [value for tally in tallies for value in tally.hold_latencies_ms]
        answers = [value for tally in tallies for value in tally.latencies_ms]
        attempts = sum(tally.attempts for tally in tallies)
        holds = sum(tally.holds for tally in tallies)
        rows.append(
            {
                "seats": seats,
                "mode": mode,
                "attempts_s": attempts / seconds,
                "holds_s": holds / seconds,
                "seats_s": sum(tally.seats_held for tally in tallies) / seconds,
                "p50": percentile(latencies, 0.5),
                "p95": percentile(latencies, 0.95),
                "p99": percentile(latencies, 0.99),
                "answer_p50": percentile(answers, 0.5),
                "load_s": load_seconds,
                "conflicts": 1 - holds / attempts if attempts else 0.0,
                "busy": sum(tally.refused.get("busy", 0) for tally in tallies),
                "errors": sum(len(tally.errors) for tally in tallies),
                "first_error": next((t.errors[0] for t in tallies if t.errors), ""),
                **{
                    key: sum(t.counters.get(key, 0.0) for t in tallies)
                    for key in ("fallbacks", "rebuilds", "lock_waits")
                },
                "checks": checks,
            }
        )
        print(
            f"  {seats:>7,} seats {mode:<8} {rows[-1]['holds_s']:8.0f} holds/s "
            f"p50 {rows[-1]['p50']:.1f} ms  fallbacks {rows[-1]['fallbacks']:.0f} "
            f"rebuilds {rows[-1]['rebuilds']:.0f} lock waits {rows[-1]['lock_waits']:.0f}  "
            f"checks {checks}",
            flush=True,
        )
        if mode != "floor":
            event = await _event(setup, org, venue, layout)
            rows[-1]["steady"] = await _steady(url, org, event, seat_map, mode, namespace)
            print(f"  {seats:>7,} seats {mode:<8} steady {rows[-1]['steady']}", flush=True)
    await setup.aclose()
    return rows


STEADY_RATE, STEADY_SECONDS = 50.0, 8.0


async def _steady(
    url: str, org: uuid.UUID, event: uuid.UUID, seat_map: Any, mode: str, namespace: str
) -> dict[str, Any]:
    """The steady-rate latency scenario (steady.py) on a fresh event, in this mode."""
    if mode == "redis":
        await _warm(url, org, event, namespace)
    services = build_services(
        load_settings(
            database=DatabaseSettings(url=url),
            redis=RedisSettings(url=REDIS_URL, namespace=namespace),
        ),
        clock=ScaledClock(ORIGIN, time.time(), 1.0),
        cache_mode="redis" if mode == "redis" else "none",
    )
    try:
        return await steady_latency(
            services,
            org,
            event,
            [seat.seat_id for seat in seat_map.by_index],
            rate=STEADY_RATE,
            seconds=STEADY_SECONDS,
        )
    finally:
        await services.aclose()


async def _main(
    sizes: tuple[int, ...], modes: tuple[str, ...], buyers: int, seconds: float
) -> list[dict[str, Any]]:
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    results = []
    for seats in sizes:
        async with scratch_postgres() as url:
            results += await _run(url, seats, modes, buyers, seconds, namespace)
    client = Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(match=f"{namespace}:*", count=1000)]
    if keys:
        await client.unlink(*keys)
    await client.aclose()
    return results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="seats, comma-separated")
    parser.add_argument("--modes", default=",".join(MODES), help="redis,database,floor")
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0, help="per mode and size")


def main(arguments: argparse.Namespace) -> None:
    sizes = tuple(int(size) for size in arguments.sizes.split(","))
    modes = tuple(arguments.modes.split(","))
    results = asyncio.run(_main(sizes, modes, arguments.buyers, arguments.seconds))
    table = markdown_table(
        [
            "seats",
            "mode",
            "answers/s",
            "holds/s",
            "seats held/s",
            "hold p50 ms",
            "hold p95 ms",
            "hold p99 ms",
            "any answer p50 ms",
            "refused",
            "busy",
            "cache fallbacks",
            "lock waits",
            "cache load s",
            "errors",
            "end-state checks",
        ],
        [
            (
                f"{r['seats']:,}",
                r["mode"],
                f"{r['attempts_s']:,.0f}",
                f"{r['holds_s']:,.0f}",
                f"{r['seats_s']:,.0f}",
                f"{r['p50']:.1f}",
                f"{r['p95']:.1f}",
                f"{r['p99']:.1f}",
                f"{r['answer_p50']:.1f}",
                f"{r['conflicts']:.0%}",
                r["busy"],
                f"{r['fallbacks']:.0f}",
                f"{r['lock_waits']:.0f}",
                f"{r['load_s']:.2f}" if r["mode"] == "redis" else "-",
                r["errors"],
                r["checks"],
            )
            for r in results
        ],
    )
    steady = markdown_table(
        ["seats", "mode", "holds", "hold p50 ms", "hold p95 ms", "hold p99 ms", "errors"],
        [
            (
                f"{r['seats']:,}",
                r["mode"],
                r["steady"]["holds"],
                f"{r['steady']['p50']:.1f}",
                f"{r['steady']['p95']:.1f}",
                f"{r['steady']['p99']:.1f}",
                r["steady"]["errors"],
            )
            for r in results
            if "steady" in r
        ],
    )
    verdicts = _verdicts(results)
    print(table)
    print(steady)
    print("\n".join(verdicts))
    for row in results:
        if row["first_error"]:
            print(f"first error ({row['mode']}, {row['seats']}): {row['first_error']}")
    record(
        "holds",
        f"On-sale storm: {arguments.buyers} buyers, {arguments.seconds:.0f} s per mode, "
        "library API",
        __doc__.split("\n\n", 1)[1]
        + "\n\n"
        + table
        + f"\n\nBelow saturation ({STEADY_RATE:.0f} buyers a second for {STEADY_SECONDS:.0f} s, "
        "random seats over the whole house, one process; see benchmarks/steady.py):\n\n"
        + steady
        + "\n\n"
        + "\n".join(f"- {line}" for line in verdicts),
    )


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _verdicts(results: list[dict[str, Any]]) -> list[str]:
    by = {(r["seats"], r["mode"]): r for r in results}
    lines = []
    for seats in sorted({r["seats"] for r in results}):
        redis, database, floor = (by.get((seats, m)) for m in MODES)
        if redis and floor:
            ratio = redis["holds_s"] / floor["holds_s"]
            lines.append(
                f"{seats:,} seats: Redis mode holds/s = {ratio:.0%} of the floor "
                f"(target >= 50%: {_met(ratio >= 0.5)})"
            )
        if redis and database:
            answers = redis["attempts_s"] / database["attempts_s"]
            holds = redis["holds_s"] / database["holds_s"]
            lines.append(
                f"{seats:,} seats: Redis mode / database-only = {answers:.1f}x answers/s "
                f"(target >= 3x: {_met(answers >= 3)}), {holds:.1f}x holds/s"
            )
    redis_rows = sorted(
        (r for r in results if r["mode"] == "redis" and "steady" in r), key=lambda r: r["seats"]
    )
    if len(redis_rows) > 1:
        low, high = redis_rows[0]["steady"], redis_rows[-1]["steady"]
        change = high["p50"] / low["p50"] - 1 if low["p50"] else 0.0
        lines.append(
            f"Redis mode p50 latency of a hold below saturation: {low['p50']:.1f} ms with "
            f"{redis_rows[0]['seats']:,} seats, {high['p50']:.1f} ms with "
            f"{redis_rows[-1]['seats']:,} ({change:+.0%}; target: flat, no more than 20% slower "
            f"with the bigger house: {_met(change <= 0.2)})"
        )
    return lines
