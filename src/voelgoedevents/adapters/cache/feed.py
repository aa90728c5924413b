"""In-process fan-out of seat changes, per event (embedded mode, and the last hop in every mode).

Subscribers get a bounded queue. A subscriber too slow to keep up is told so once (``None`` in
its queue) and dropped, rather than letting one stuck browser hold memory for everyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

Message = dict[str, Any]
QUEUE_SIZE = 1_000


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

    def resync_all(self) -> None:
        """Changes may have been lost: every subscriber should start again from a fresh map."""
        for queues in list(self._subscribers.values()):
            for queue in list(queues):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(RESYNC)

    def subscriber_count(self, event_id: uuid.UUID) -> int:
        return len(self._subscribers.get(event_id, ()))


def _tell_dropped(queue: asyncio.Queue[Message | None]) -> None:
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(None)


RESYNC: Message = {"resync": True}


class RedisRelay:
    """Carries the seat changes every process publishes in Redis to this process's subscribers.

    One pattern subscription for all events. If the subscription drops, changes may have been
    missed: every local subscriber is told to resync (send its client a fresh map).
    """

    def __init__(self, client: Any, namespace: str, feed: LocalFeed) -> None:
        self._client = client
        self._pattern = f"{namespace}:org:*:event:*:changes"
        self._feed = feed

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._listen(stop)
            except Exception:
                self._feed.resync_all()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)

    async def _listen(self, stop: asyncio.Event) -> None:
        pubsub = self._client.pubsub()
        try:
            await pubsub.psubscribe(self._pattern)
            while not stop.is_set():
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is None:
                    continue
                change = json.loads(message["data"])
                for key in ("seats", "standing"):  # Lua's cjson sends an empty list as {}
                    change[key] = change.get(key) or []
                self._feed.publish(uuid.UUID(change["event"]), change)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
