"""The app on a real uvicorn server inside the test, and a reader for its server-sent events.

httpx's ASGI transport hands a response over only once it is complete, so a stream that never
ends needs a real server. The server runs as a task on the test's own event loop (the services'
database and Redis connections belong to that loop), on a free port of 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.adapters.cache.redis_cache import RedisSeatCache
from voelgoedevents.bootstrap import Services

# How long a change may take to reach a stream before the test fails. A liveness bound, not a
# latency claim: the machine is shared, and the sweeper only runs once a second.
LIVENESS_SECONDS = 8.0


@contextlib.asynccontextmanager
async def serve(app: FastAPI, services: Services) -> AsyncIterator[str]:
    """Run ``app`` (whose lifespan starts the relay and the sweeper) until the block ends;
    yields its base URL once it accepts connections and, in Redis mode, once its relay listens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_config=None, log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(LIVENESS_SECONDS):
            while not server.started:
                if task.done():
                    task.result()  # start-up failed: raise its error
                    raise AssertionError("the server stopped before it started")
                await asyncio.sleep(0.01)
        await relay_listening(services)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(task, timeout=15)
        finally:
            sock.close()


async def relay_listening(services: Services) -> None:
    """In Redis mode, wait until the app's relay carries a message published in Redis to this
    process's feed: a change committed after this cannot be missed by the relay."""
    cache = services.cache
    if not isinstance(cache, RedisSeatCache):
        return
    probe = uuid.uuid4()
    channel = cache.keys(EventKey(uuid.uuid4(), probe)).changes_channel
    message = json.dumps({"event": str(probe), "seats": [], "standing": []})
    async with services.feed.subscribe(probe) as queue, asyncio.timeout(LIVENESS_SECONDS):
        while True:
            await cache.client.publish(channel, message)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queue.get(), timeout=0.05)
                return


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds, failing after the liveness bound."""
    deadline = asyncio.get_running_loop().time() + LIVENESS_SECONDS
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "still not so after the bound"
        await asyncio.sleep(0.02)


@dataclass
class SeatStream:
    """The events of one open ``/seats/stream`` response, read one at a time."""

    response: httpx.Response
    lines: AsyncIterator[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = self.response.aiter_lines()

    async def next(self) -> tuple[str, Any]:
        """The next event (name and decoded data); comments (keep-alives) are skipped."""
        name, data = "message", list[str]()
        async with asyncio.timeout(LIVENESS_SECONDS):
            async for line in self.lines:
                if not line:
                    if data:
                        return name, json.loads("\n".join(data))
                    continue
                if line.startswith(":"):
                    continue
                key, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if key == "event":
                    name = value
                elif key == "data":
                    data.append(value)
        raise AssertionError("the stream ended")


@contextlib.asynccontextmanager
async def open_stream(
    http: httpx.AsyncClient, path: str, **kwargs: Any
) -> AsyncIterator[SeatStream]:
    async with http.stream("GET", path, **kwargs) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield SeatStream(response)
