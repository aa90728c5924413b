"""In-process fan-out of seat changes, per event (embedded mode, and the last hop in every mode).

Subscribers get a bounded queue. A subscriber too slow to keep up is told so once (``None`` in
its queue) and dropped, rather than letting one stuck browser hold memory for everyone.
"""

from __future__ import annotations

import asyncio
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

    def subscriber_count(self, event_id: uuid.UUID) -> int:
        return len(self._subscribers.get(event_id, ()))


def _tell_dropped(queue: asyncio.Queue[Message | None]) -> None:
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(None)
