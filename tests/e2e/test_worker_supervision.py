"""`voelgoed serve --workers N`: uvicorn's supervisor pings every worker and kills one that does
not answer within its health-check timeout (5 s by default). A worker that is merely slow (a
loaded machine: a spawned worker importing the app, or a long pause) must not be killed.

A worker is frozen (SIGSTOP) for longer than uvicorn's default timeout, then thawed: it must
still be the same process, and the server must still answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

import httpx

from support.servers import REDIS_URL
from support.serving import start_server, wait_until_serving

WORKERS = 2
FROZEN_SECONDS = 7.0  # over uvicorn's default of 5 s, well under `serve`'s default


def _env(tmp_path: Path, postgres_url: str, namespace: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOELGOED_")}
    metrics = tmp_path / "metrics"
    metrics.mkdir(exist_ok=True)
    env.update(
        {
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
            "VOELGOED_DATABASE_URL": postgres_url,
            "VOELGOED_DATABASE_POOL_SIZE": "2",
            "VOELGOED_DATABASE_MAX_OVERFLOW": "2",
            "VOELGOED_REDIS_URL": REDIS_URL,
            "VOELGOED_REDIS_NAMESPACE": namespace,
        }
    )
    return env


async def test_a_worker_slow_to_answer_is_not_killed(
    tmp_path: Path, postgres_url: str, redis_namespace: str
) -> None:
    log = tmp_path / "server.log"
    server = start_server(_env(tmp_path, postgres_url, redis_namespace), WORKERS, log)
    try:
        await asyncio.to_thread(wait_until_serving, server, WORKERS)
        before = sorted(worker.pid for worker in server.workers())
        assert len(before) == WORKERS, before
        frozen = before[0]
        os.kill(frozen, signal.SIGSTOP)
        try:
            await asyncio.sleep(FROZEN_SECONDS)
        finally:
            with contextlib.suppress(ProcessLookupError):  # killed by the supervisor meanwhile
                os.kill(frozen, signal.SIGCONT)
        # The supervisor's pending ping is answered now; give it a few more rounds (0.5 s each).
        await asyncio.sleep(2.0)
        assert server.process.poll() is None, server.log_tail()
        after = sorted(worker.pid for worker in server.workers())
        assert after == before, f"workers {before} became {after}:\n{server.log_tail()}"
        assert "died" not in log.read_text(errors="replace"), server.log_tail()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            assert (await http.get("/health")).status_code == 200
    finally:
        server.stop()
