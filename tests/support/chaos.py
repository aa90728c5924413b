"""Chaos helpers: private Redis servers, a TCP proxy that can hold back one reply or swallow
commands, an instrumented storm worker, and the storm's history checks.

Nothing here touches the shared Redis: every chaos test starts its own ``redis-server`` on a free
port (no persistence, ``noeviction``), and stops it afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
import signal
import subprocess
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from redis import Redis as SyncRedis

from voelgoedevents.adapters.database.tables import EventSeat, Order, SeatHold, SeatStateChange
from voelgoedevents.bootstrap import Services, build_services
from voelgoedevents.domain.ticketing.states import OrderStatus
from voelgoedevents.settings import DatabaseSettings, HoldSettings, RedisSettings, load_settings

from support.racing import WarpClock, Worker, storm
from support.servers import free_port

# --- private redis-server processes -----------------------------------------------------------


def script_sha(name: str) -> str:
    """The SHA1 redis-py sends with EVALSHA for one of the product's Lua scripts."""
    text = (files("voelgoedevents.adapters.cache") / "scripts" / name).read_text()
    return hashlib.sha1(text.encode()).hexdigest()


class RedisServer:
    """One private ``redis-server`` process: start, SIGKILL, start again (empty) on the same port.

    Started with no RDB and no AOF, so a restart is always empty."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not on PATH; the chaos tests need it")
        self.binary = binary
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """On a fresh free port the first time (retrying if another process took it), then
        always on the same port."""
        assert self.process is None, "already running"
        for _ in range(5):
            if self.starts == 0:
                self.port = free_port()
            if self._launch():
                self.starts += 1
                return
            if self.starts > 0:
                break
        raise RuntimeError(f"redis-server did not start on port {self.port}: {self._log_tail()}")

    def _launch(self) -> bool:
        log = open(self.workdir / f"redis-{self.port}.log", "ab")  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--maxmemory-policy",
                    "noeviction",
                    "--dir",
                    str(self.workdir),
                    "--daemonize",
                    "no",
                    "--loglevel",
                    "warning",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:  # e.g. the port was taken meanwhile
                self.process = None
                return False
            with contextlib.suppress(Exception), self.client() as client:
                if client.ping():
                    return True
            time.sleep(0.02)
        self._reap(signal.SIGKILL)
        return False

    def client(self) -> SyncRedis:
        """A direct connection (no proxy, no retries) for the test's own checks."""
        return SyncRedis(host="127.0.0.1", port=self.port, socket_timeout=2, retry=None)

    def kill(self) -> int:
        """SIGKILL: no shutdown, no save. Returns the process's exit status (-9)."""
        return self._reap(signal.SIGKILL)

    def stop(self) -> None:
        if self.process is not None:
            self._reap(signal.SIGTERM)

    def _reap(self, how: signal.Signals) -> int:
        process, self.process = self.process, None
        assert process is not None, "not running"
        if process.poll() is None:
            process.send_signal(how)
            try:
                return process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
        return process.wait(timeout=5)

    def _log_tail(self) -> str:
        path = self.workdir / f"redis-{self.port}.log"
        return path.read_text(errors="replace")[-500:] if path.exists() else "(no log)"

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def lock_keys(server: RedisServer, namespace: str, event_id: uuid.UUID) -> list[bytes]:
    """Every per-seat lock key of one event still in the server."""
    with server.client() as client:
        return sorted(client.scan_iter(match=f"{namespace}:org:*:event:{{{event_id}}}:hold:seat:*"))


# --- a proxy that holds back one reply ----------------------------------------------------------


Command = tuple[bytes, ...]


def parse_commands(buffer: bytearray) -> list[Command]:
    """Take every complete RESP command (an array of bulk strings) off the front of ``buffer``."""
    commands: list[Command] = []
    while buffer:
        if buffer[:1] != b"*":
            raise ValueError(f"not a RESP array: {bytes(buffer[:20])!r}")
        end = buffer.find(b"\r\n")
        if end < 0:
            break
        count, position, parts = int(buffer[1:end]), end + 2, []
        for _ in range(count):
            end = buffer.find(b"\r\n", position)
            if end < 0:
                break
            length = int(buffer[position + 1 : end])
            if len(buffer) < end + 2 + length + 2:
                break
            parts.append(bytes(buffer[end + 2 : end + 2 + length]))
            position = end + 2 + length + 2
        if len(parts) < count:
            break
        commands.append(tuple(parts))
        del buffer[:position]
    return commands


def encode_command(command: Command) -> bytes:
    """A command as a client sends it (the inverse of :func:`parse_commands`)."""
    parts = [b"*%d\r\n" % len(command)]
    for part in command:
        parts += [b"$%d\r\n" % len(part), part, b"\r\n"]
    return b"".join(parts)


@dataclass
class _Link:
    number: int
    hold_reply_for: float = 0.0
    black_hole: bool = False  # a command was swallowed: nothing more goes to Redis from here


@dataclass
class RedisProxy:
    """A TCP proxy in front of a Redis server. :meth:`arm` makes it hold back the reply to the
    next command a predicate picks, for ``delay`` seconds (the command itself reaches Redis at
    once, so Redis runs it; only its answer is late). :meth:`swallow` makes every command a
    predicate picks vanish instead: Redis never sees it, and the client waits for an answer that
    never comes (its connection is dead from then on, as after a network fault)."""

    upstream_port: int
    port: int = 0
    commands: list[tuple[int, Command]] = field(default_factory=list)  # (connection, command)
    held_back: list[bytes] = field(default_factory=list)  # replies that were delayed
    swallowed: list[Command] = field(default_factory=list)  # commands that never reached Redis
    _armed: tuple[Callable[[Command], bool], float] | None = None
    _swallow: Callable[[Command], bool] | None = None
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)
    _connections: int = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def arm(self, predicate: Callable[[Command], bool], delay: float) -> None:
        self._armed = (predicate, delay)

    @property
    def armed(self) -> bool:
        return self._armed is not None

    def swallow(self, predicate: Callable[[Command], bool] | None) -> None:
        """Until called again with ``None``: drop every command ``predicate`` picks."""
        self._swallow = predicate

    def seen(self, predicate: Callable[[Command], bool]) -> list[int]:
        """The connections that sent each command the predicate picks, in order."""
        return [number for number, command in self.commands if predicate(command)]

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self._connections += 1
        link = _Link(self._connections)
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_w.close()
            return
        self._writers += [client_w, server_w]
        for pump in (
            self._requests(link, client_r, server_w),
            self._replies(link, server_r, client_w),
        ):
            task = asyncio.create_task(pump)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _requests(
        self, link: _Link, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        buffer = bytearray()
        try:
            while chunk := await reader.read(65536):
                buffer += chunk
                passing = bytearray()  # whole commands only, so one can be left out
                for command in parse_commands(buffer):
                    self.commands.append((link.number, command))
                    if self._swallow is not None and self._swallow(command):
                        link.black_hole = True
                        self.swallowed.append(command)
                    if link.black_hole:
                        continue
                    if self._armed is not None and self._armed[0](command):
                        link.hold_reply_for, self._armed = self._armed[1], None
                    passing += encode_command(command)
                if passing:
                    writer.write(passing)  # after the flag is set: the reply cannot overtake it
                    await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _replies(
        self, link: _Link, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                if link.hold_reply_for:
                    self.held_back.append(chunk)
                    await asyncio.sleep(link.hold_reply_for)
                    link.hold_reply_for = 0.0
                if writer.is_closing():  # the client gave up on this connection meanwhile
                    break
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()


# --- an instrumented storm worker ---------------------------------------------------------------


@dataclass(frozen=True)
class LeanWorker(Worker):
    """A storm worker with a smaller database pool than ``Worker``'s 8 + 8: PostgreSQL's 100
    connections are shared with whatever else runs on this machine (other storms included)."""

    pool_size: int = 6
    max_overflow: int = 2

    def services(self) -> Services:
        settings = load_settings(
            database=DatabaseSettings(
                url=self.database_url, pool_size=self.pool_size, max_overflow=self.max_overflow
            ),
            redis=RedisSettings(url=self.redis_url, namespace=self.namespace),
            holds=HoldSettings(sweep_interval_seconds=0.2),
        )
        assert self.warp is not None
        return build_services(settings, clock=WarpClock(*self.warp), cache_mode=self.cache_mode)


async def wait_for_connections(services: Services, needed: int, patience: float = 30) -> int:
    """Wait (up to ``patience`` seconds) until PostgreSQL has ``needed`` free connection slots;
    returns the number free at the end (the caller may go on regardless)."""
    deadline = time.monotonic() + patience
    while True:
        async with services.engine.connect() as connection:
            free = await connection.scalar(
                sa.text(
                    "SELECT current_setting('max_connections')::int"
                    " - (SELECT count(*) FROM pg_stat_activity)"
                )
            )
        if free >= needed or time.monotonic() > deadline:
            return int(free)
        await asyncio.sleep(0.5)


def chaos_storm(worker: Worker) -> dict[str, Any]:
    """The suite's storm worker (``support.racing.storm``), with its process's cache calls
    counted: what each buyer and sweeper met when Redis went away. Runs in a spawned process,
    so the wrappers live and die with it."""
    signals = _instrument()
    log = storm(worker)
    log["signals"] = {name: times for name, times in signals.items()}
    return log


def _instrument() -> dict[str, list[float]]:
    """Record the wall-clock time of each cache event of interest in this process."""
    from voelgoedevents.adapters.cache.gate import CacheGate
    from voelgoedevents.adapters.cache.port import CacheUnavailable, ClaimStatus
    from voelgoedevents.adapters.cache.redis_cache import RedisSeatCache
    from voelgoedevents.adapters.cache.sync import CacheSync
    from voelgoedevents.workflows.ticketing import cache_sync, expire_holds, reserve_seat

    signals: dict[str, list[float]] = defaultdict(list)

    def note(name: str) -> None:
        signals[name].append(time.time())

    claim = RedisSeatCache.claim

    async def counted_claim(self: RedisSeatCache, *args: Any, **kwargs: Any) -> Any:
        try:
            result = await claim(self, *args, **kwargs)
        except CacheUnavailable:
            note("claim_error")
            raise
        if result.status is ClaimStatus.COLD:
            note("claim_cold")
        return result

    failed = CacheGate.failed

    def counted_failed(self: CacheGate) -> None:
        note("cache_unavailable")
        failed(self)

    mark_stale = CacheSync.mark_stale

    async def counted_mark_stale(*args: Any, **kwargs: Any) -> None:
        note("marked_stale")
        await mark_stale(*args, **kwargs)

    database_path = reserve_seat._claim

    async def counted_database_path(*args: Any, **kwargs: Any) -> Any:
        tried = await database_path(*args, **kwargs)
        if tried.claim is None:  # no claim: the database decides alone
            note("database_path")
        return tried

    rebuild = cache_sync.rebuild_event_cache

    async def counted_rebuild(*args: Any, **kwargs: Any) -> bool:
        try:
            done = await rebuild(*args, **kwargs)
        except CacheUnavailable:
            note("rebuild_failed")
            raise
        note("rebuilt" if done else "rebuild_skipped")
        return done

    rebuild_stale = expire_holds.rebuild_stale_events

    async def counted_rebuild_stale(services: Any) -> int:
        note("sweep_rebuild_pass" if services.gate.available else "sweep_gate_closed")
        return await rebuild_stale(services)

    RedisSeatCache.claim = counted_claim  # type: ignore[method-assign]
    CacheGate.failed = counted_failed  # type: ignore[method-assign]
    CacheSync.mark_stale = counted_mark_stale  # type: ignore[method-assign]
    reserve_seat._claim = counted_database_path  # type: ignore[assignment]
    reserve_seat.rebuild_event_cache = counted_rebuild  # type: ignore[assignment]
    expire_holds.rebuild_event_cache = counted_rebuild  # type: ignore[assignment]
    expire_holds.rebuild_stale_events = counted_rebuild_stale  # type: ignore[assignment]
    return signals


# --- the storm's history, checked (as in tests/concurrency/test_storm.py) -----------------------


def replay(changes: list[SeatStateChange], held_until: dict[uuid.UUID, Any]) -> None:
    """Walk one seat's audit trail through the state machine: every step must be legal."""
    state, owner = "available", None
    for change in changes:
        before, after = change.from_state.value, change.to_state.value
        where = f"seat {change.seat_id} change {change.id}"
        if before == "held" and after == "held":  # taking over a lapsed hold
            assert state == "held" and held_until[owner] <= change.occurred_at, where
        else:
            assert before == state, f"{where}: recorded from {before}, replay says {state}"
        if after == "held":
            assert change.hold_id is not None, where
            owner = change.hold_id
        elif before == "held":
            assert change.hold_id == owner, f"{where}: freed by {change.hold_id}, not {owner}"
            owner = change.order_id if after == "sold" else None
        elif after == "available":
            owner = None
        state = after


async def check_storm_history(
    services: Services, event: uuid.UUID, logs: list[dict[str, Any]]
) -> dict[uuid.UUID, SeatHold]:
    """Every acknowledged hold and sale is in the database as the client was told, and each
    seat's audit trail is one a single seat could have lived (never two live holders). Returns
    the event's holds."""
    held = [entry for log in logs for entry in log["held"]]
    sold = [entry for log in logs for entry in log["sold"]]
    async with services.uow() as uow:
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
        changes = list(
            await session.scalars(
                sa.select(SeatStateChange)
                .where(SeatStateChange.event_id == event)
                .order_by(SeatStateChange.id)
            )
        )

    for entry in held:
        hold = holds.get(uuid.UUID(entry["hold"]))
        assert hold is not None, f"acknowledged hold {entry['hold']} is not in the database"
        assert hold.seat_count == len(entry["seats"]), entry
    owners: dict[str, str] = {}
    for entry in sold:
        order = orders.get(uuid.UUID(entry["order"]))
        assert order is not None, f"acknowledged order {entry['order']} is not in the database"
        assert order.status is OrderStatus.COMPLETED
        for seat in entry["seats"]:
            assert owners.setdefault(seat, entry["order"]) == entry["order"], "sold twice"
            assert rows[uuid.UUID(seat)].order_id == order.id
    assert {str(s) for s, row in rows.items() if row.status.value == "sold"} == set(owners)

    by_seat: dict[uuid.UUID, list[SeatStateChange]] = defaultdict(list)
    for change in changes:
        by_seat[change.seat_id].append(change)  # type: ignore[index]
    held_until = {hold.id: hold.held_until for hold in holds.values()}
    for seat_changes in by_seat.values():
        replay(seat_changes, held_until)
    for seat, row in rows.items():
        last = by_seat[seat][-1].to_state.value if by_seat.get(seat) else "available"
        assert row.status.value == last
    return holds
