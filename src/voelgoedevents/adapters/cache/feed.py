"""In-process fan-out of seat changes, per event (embedded mode, and the last hop in every mode).

Subscribers get a bounded queue. A subscriber too slow to keep up is told so once (``None`` in
its queue) and dropped, rather than letting one stuck browser hold memory for everyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

Message = dict[str, Any]
QUEUE_SIZE = 1_000
log = logging.getLogger(__name__)


class LocalFeed:
    def __init__(self) -> None:
        self._subscribers: dict[uuid.UUID, set[asyncio.Queue[Message | None]]] = defaultdict(set)

    def publish(self, event_id: uuid.UUID, message: Message) -> None:
        for queue in list(self._subscribers.get(event_id, ())):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                self._subscribers[event_id].discard(queue)
                _tell_dropped(queue)

    @asynccontextmanager
    async def subscribe(self, event_id: uuid.UUID) -> AsyncIterator[asyncio.Queue[Message | None]]:
        queue: asyncio.Queue[Message | None] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers[event_id].add(queue)
        try:
            yield queue
        finally:
            subscribers = self._subscribers.get(event_id)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._subscribers[event_id]

    def resync(self, event_id: uuid.UUID) -> None:
        """Changes of this event may have been lost: its subscribers start again from a fresh
        map. One with no room left for the message is dropped and told so, never skipped."""
        self.publish(event_id, RESYNC)

    def resync_all(self) -> None:
        """Changes may have been lost: every subscriber should start again from a fresh map."""
        for event_id in list(self._subscribers):
            self.resync(event_id)

    def subscriber_count(self, event_id: uuid.UUID) -> int:
        return len(self._subscribers.get(event_id, ()))


def _tell_dropped(queue: asyncio.Queue[Message | None]) -> None:
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(None)


RESYNC: Message = {"resync": True}


class RedisRelay:
    """Carries the seat changes every process publishes in Redis to this process's subscribers.

    One pattern subscription for all events. Whatever is published while it is not active (before
    it first is, or while it is down: redis-py re-subscribes on its own after a dropped
    connection) never reaches this process, so each time Redis confirms the subscription every
    local subscriber is told to resync: it then takes a map that is no older than anything the
    subscription can have missed. A ``resync`` message in Redis (an event's cache was rebuilt or
    repaired) is passed on to that event's subscribers.
    """

    RETRY_SECONDS = 1.0  # between attempts to subscribe while Redis cannot be reached
    IDLE_READ_SECONDS = 30.0  # a read with nothing to read returns after this; it is just redone

    def __init__(self, client: Any, namespace: str, feed: LocalFeed) -> None:
        self._client = client
        self._pattern = f"{namespace}:org:*:event:*:changes"
        self._feed = feed
        self.subscribed = asyncio.Event()  # set once Redis first confirms the subscription

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set, and return as soon as it is: the read in progress is
        cancelled rather than waited out."""
        stopping = asyncio.ensure_future(stop.wait())
        listening: asyncio.Future[None] | None = None
        try:
            while not stop.is_set():
                listening = asyncio.ensure_future(self._listen())
                await asyncio.wait({listening, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stop.is_set():
                    return
                try:
                    listening.result()
                except Exception as exc:
                    log.warning("seat change subscription lost (%s); subscribing again", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(stopping), self.RETRY_SECONDS)
        finally:
            for task in (listening, stopping):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task

    async def _listen(self) -> None:
        pubsub = self._client.pubsub()
        try:
            await pubsub.psubscribe(self._pattern)
            while True:
                message = await pubsub.get_message(timeout=self.IDLE_READ_SECONDS)
                if message is None:
                    continue
                if message["type"] == "psubscribe":  # (again) active: what came before is lost
                    self._feed.resync_all()
                    self.subscribed.set()
                elif message["type"] == "pmessage":
                    self._relay(message["data"])
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    def _relay(self, data: bytes | str) -> None:
        try:
            change = json.loads(data)
            event_id = uuid.UUID(change["event"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed seat change message: %.200r", data)
            return
        if change.get("resync"):
            self._feed.resync(event_id)
            return
        for key in ("seats", "standing"):  # Lua's cjson sends an empty list as {}
            change[key] = change.get(key) or []
        self._feed.publish(event_id, change)
