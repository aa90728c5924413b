"""A live seat map never stays wrong silently: whenever a change may not have reached a stream,
the stream is sent a fresh snapshot.

* A change whose cache write fails after commit is never published. The process that failed
  tells its own streams at once; once the event's cache copy is rebuilt, every stream of the
  event, in every process, gets a fresh snapshot, and the map it gets is not older than the
  database.
* The relay (one Redis subscription per process) tells its local subscribers to resync once its
  subscription is active: at start-up, and again after every drop (including the reconnections
  redis-py makes on its own, which the relay would not otherwise see).
* The relay stops as soon as it is told to.

Each test has a private redis-server (``tests/chaos/conftest.py``): subscriptions are killed and
servers restarted without disturbing anyone else's Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from api.conftest import build_world
from voelgoedevents.adapters.cache.feed import RESYNC, LocalFeed, Message, RedisRelay
from voelgoedevents.adapters.cache.keys import EventKeys
from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.adapters.database.tables import EventCacheStatus
from voelgoedevents.bootstrap import Services, redis_client
from voelgoedevents.entrypoints.api.app import create_app
from voelgoedevents.settings import RedisSettings
from voelgoedevents.workflows.ticketing.cache_sync import rebuild_event_cache
from voelgoedevents.workflows.ticketing.expire_holds import rebuild_stale_events

from support.api import AVAILABLE, HELD, decode_states, hold_ok
from support.chaos import Command, RedisProxy, RedisServer, script_sha
from support.clock import ManualClock
from support.live import LIVENESS_SECONDS, SeatStream, open_stream, serve

NAMESPACE = "chaos"  # as tests/chaos/conftest.py's services use


@pytest.fixture
async def proxy(private_redis: RedisServer) -> AsyncIterator[RedisProxy]:
    proxy = RedisProxy(private_redis.port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


def _commit_runs(command: Command) -> bool:
    return command[0].upper() == b"EVALSHA" and command[1].decode() == script_sha("commit.lua")


@contextlib.asynccontextmanager
async def _served(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a real server, without its sweeper: the test decides when a rebuild runs."""
    app = create_app(services=services, background=False)
    async with (
        serve(app, services) as url,
        httpx.AsyncClient(base_url=url, timeout=LIVENESS_SECONDS) as http,
    ):
        yield http


async def _snapshot(stream: SeatStream) -> dict[str, Any]:
    name, data = await stream.next()
    assert name == "snapshot", (name, data)
    data["decoded"] = decode_states(data["states"], data["seat_count"])
    return data


async def _stale_marks(services: Services) -> list[uuid.UUID]:
    async with services.uow() as uow:
        return list(await uow.session.scalars(sa.select(EventCacheStatus.event_id)))


@pytest.mark.slow
async def test_a_change_the_cache_missed_reaches_every_stream(
    pg_services: Services,
    private_redis: RedisServer,
    proxy: RedisProxy,
    redis_services: Callable[..., Services],
    clock: ManualClock,
) -> None:
    """Two servers on one database and one Redis; the first reaches Redis through a proxy that
    swallows its cache writes (a Redis that does not answer them in time). A third process (an
    operator, or another server's sweeper) rebuilds the event."""
    failing = redis_services(proxy.url, clock, socket_timeout_seconds=0.3)
    healthy = redis_services(private_redis.url, clock)
    sweeper = redis_services(private_redis.url, clock)
    async with _served(failing) as failing_http, _served(healthy) as healthy_http:
        world = await build_world(healthy_http, healthy)
        key = EventKey(uuid.UUID(world.organization_id), uuid.UUID(world.event_id))
        assert await rebuild_event_cache(healthy, key)  # loaded: claims go through the cache
        path = f"/events/{world.event_id}/seats/stream"
        headers = world.headers("read")
        async with (
            open_stream(failing_http, path, headers=headers) as on_failing,
            open_stream(healthy_http, path, headers=headers) as on_healthy,
        ):
            for stream in (on_failing, on_healthy):
                assert (await _snapshot(stream))["decoded"][0] == AVAILABLE

            proxy.swallow(_commit_runs)
            held = await hold_ok(
                dataclasses.replace(world, client=failing_http), [world.seat_ids[0]]
            )
            assert proxy.swallowed, "the cache write was not even tried"
            assert await _stale_marks(pg_services) == [key.event_id]

            # The process that failed knows its streams' maps are now behind: it tells them at
            # once, before any rebuild (the event is still marked stale), from the database.
            told = await _snapshot(on_failing)
            assert (told["decoded"][0], told["source"]) == (HELD, "database")
            assert await _stale_marks(pg_services) == [key.event_id]

            # Once Redis takes writes again, the stale event is rebuilt (here by a process
            # without streams): every stream of the event, in every process, gets a fresh map.
            proxy.swallow(None)
            assert await rebuild_stale_events(sweeper) == 1
            assert await _stale_marks(pg_services) == []
            rebuilt = await _snapshot(on_healthy)
            # The healthy server never learnt the event was stale: it drew this map from the
            # cache, so the cache was rebuilt before the streams were told.
            assert (rebuilt["decoded"][0], rebuilt["source"]) == (HELD, "cache")
            assert (await _snapshot(on_failing))["decoded"][0] == HELD

            # Changes carry on after the fresh snapshot, newer than it, on both.
            released = await healthy_http.post(
                f"/holds/{held['id']}/release", headers=world.headers("sales")
            )
            assert released.status_code == 200, released.text
            for stream in (on_failing, on_healthy):
                name, data = await stream.next()
                assert name == "seats" and [c[:2] for c in data["changes"]] == [[0, AVAILABLE]]


# --- the relay ----------------------------------------------------------------------------------


def _change(event_id: uuid.UUID, index: int, version: int) -> Message:
    return {"event": str(event_id), "seats": [[index, HELD, version, 0]], "standing": []}


def _publish(server: RedisServer, event_id: uuid.UUID, message: Message) -> int:
    """PUBLISH on the event's changes channel, as the commit script does; how many subscribers
    (relays) received it."""
    channel = EventKeys(NAMESPACE, EventKey(uuid.uuid4(), event_id)).changes_channel
    with server.client() as client:
        return int(client.publish(channel, json.dumps(message)))


@contextlib.asynccontextmanager
async def _relay(server: RedisServer, feed: LocalFeed) -> AsyncIterator[asyncio.Event]:
    """A relay as the app runs it (the product's client, retries and all); yields its stop."""
    client = redis_client(RedisSettings(url=server.url, namespace=NAMESPACE))
    stop = asyncio.Event()
    task = asyncio.create_task(RedisRelay(client, NAMESPACE, feed).run(stop))
    try:
        yield stop
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=10)
        finally:
            await client.aclose()


async def _next(queue: asyncio.Queue[Message | None]) -> Message | None:
    return await asyncio.wait_for(queue.get(), LIVENESS_SECONDS)


async def _until_listening(server: RedisServer, feed: LocalFeed) -> None:
    """Until a message published in Redis reaches the feed (the relay is subscribed)."""
    probe = uuid.uuid4()
    async with feed.subscribe(probe) as queue, asyncio.timeout(LIVENESS_SECONDS):
        while True:
            await asyncio.to_thread(_publish, server, probe, _change(probe, 0, 1))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queue.get(), timeout=0.05)
                return


async def test_a_subscriber_from_before_the_relay_listened_is_told_to_resync(
    private_redis: RedisServer,
) -> None:
    feed, event = LocalFeed(), uuid.uuid4()
    async with feed.subscribe(event) as queue:
        # Published before this process's relay is subscribed: no relay receives it.
        assert await asyncio.to_thread(_publish, private_redis, event, _change(event, 0, 1)) == 0
        async with _relay(private_redis, feed):
            assert await _next(queue) == RESYNC
            # Told only once subscribed: what is published from then on arrives.
            assert await asyncio.to_thread(_publish, private_redis, event, _change(event, 0, 2))
            assert await _next(queue) == _change(event, 0, 2)


@pytest.mark.parametrize("drop", ["subscription killed", "redis restarted"])
async def test_the_relay_resyncs_its_subscribers_once_it_listens_again(
    private_redis: RedisServer, drop: str
) -> None:
    feed, event = LocalFeed(), uuid.uuid4()
    async with _relay(private_redis, feed):
        await _until_listening(private_redis, feed)
        async with feed.subscribe(event) as queue:
            assert await asyncio.to_thread(_publish, private_redis, event, _change(event, 0, 1))
            assert await _next(queue) == _change(event, 0, 1)

            if drop == "subscription killed":  # redis-py reconnects and subscribes on its own
                with private_redis.client() as client:
                    assert client.client_kill_filter(_type="pubsub") >= 1
            else:
                await asyncio.to_thread(private_redis.kill)
                await asyncio.to_thread(private_redis.start)

            # Anything published during the drop is lost to this process: its subscribers are
            # told to start again, and only once the subscription is back, so that a single
            # change published right after the resync still arrives.
            assert await _next(queue) == RESYNC
            assert await asyncio.to_thread(_publish, private_redis, event, _change(event, 0, 2))
            assert await _next(queue) == _change(event, 0, 2)


async def test_the_relay_stops_as_soon_as_it_is_told(private_redis: RedisServer) -> None:
    """Every Redis-mode app waits for its relay at shutdown. The relay used to look at its stop
    flag once a second, between reads; stopping must not wait for the next look. The bound is
    half that second, hundreds of times what a prompt stop takes even on a busy machine."""
    feed = LocalFeed()
    async with _relay(private_redis, feed) as stop:
        await _until_listening(private_redis, feed)  # a message was just relayed: a fresh read
        started = time.monotonic()
        stop.set()
    took = time.monotonic() - started
    assert took < 0.5, f"the relay took {took:.2f} s to stop"
