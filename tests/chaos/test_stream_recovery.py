"""A live seat map never stays wrong silently: whenever a change may not have reached a stream,
the stream is sent a fresh snapshot.

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
import json
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from voelgoedevents.adapters.cache.feed import RESYNC, LocalFeed, Message, RedisRelay
from voelgoedevents.adapters.cache.keys import EventKeys
from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.bootstrap import redis_client
from voelgoedevents.settings import RedisSettings

from support.api import HELD
from support.chaos import RedisServer
from support.live import LIVENESS_SECONDS

NAMESPACE = "chaos"  # as tests/chaos/conftest.py's services use


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
