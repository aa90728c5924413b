"""A worker killed in the middle of a write sent with an Idempotency-Key: the client's retry
(with the same key) is answered within a couple of seconds, not after a minute of 409s.

`voelgoed serve --workers 2` on a database of its own. The first request creates a venue and is
held inside the database (the test holds the venues table locked); its worker is killed
(SIGKILL: no cleanup of any kind), the table let go, and the client retries until it gets an
answer that is not `idempotency_key_in_flight`. Before the worker dies, a duplicate is still
409 well after the lease would have lapsed (the live request renews it); after it dies, the
retry runs afresh once the dead claim's short lease lapses. Exactly one venue is made, and a
further retry replays its answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from voelgoedevents.bootstrap import build_services
from voelgoedevents.domain.access import ApiKeySpec, Role
from voelgoedevents.settings import DatabaseSettings, HoldSettings, RedisSettings, load_settings
from voelgoedevents.workflows.access import IN_FLIGHT_LEASE, create_api_key

from support.factories import make_organization
from support.servers import REDIS_URL, asyncpg_dsn, scratch_database
from support.serving import Server, start_server, wait_until_serving

WORKERS = 2
# The dead claim lapses at most IN_FLIGHT_LEASE after its last renewal; the retry then needs a
# request's time. A bound on liveness on a shared, loaded machine, not a speed target.
ANSWERED_WITHIN = IN_FLIGHT_LEASE.total_seconds() + 1.0
VENUE = {"name": "Crash Hall", "city": "Pretoria"}


@pytest.fixture
def crash_database() -> Iterator[str]:
    with scratch_database(f"voelgoed_crash_{uuid.uuid4().hex[:10]}") as url:
        yield url


async def _admin_token(url: str, namespace: str) -> str:
    services = build_services(
        load_settings(
            database=DatabaseSettings(url=url, pool_size=1, max_overflow=0),
            redis=RedisSettings(url=REDIS_URL, namespace=namespace),
            holds=HoldSettings(),
        )
    )
    try:
        organization = await make_organization(services)
        _, token = await create_api_key(
            services,
            organization_id=organization.id,
            spec=ApiKeySpec(name="crash admin", role=Role.ADMIN),
        )
        return token
    finally:
        await services.aclose()


def _env(tmp_path: Path, url: str, namespace: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOELGOED_")}
    metrics = tmp_path / "metrics"
    metrics.mkdir(exist_ok=True)
    env.update(
        {
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
            "VOELGOED_DATABASE_URL": url,
            "VOELGOED_DATABASE_POOL_SIZE": "2",
            "VOELGOED_DATABASE_MAX_OVERFLOW": "2",
            "VOELGOED_REDIS_URL": REDIS_URL,
            "VOELGOED_REDIS_NAMESPACE": namespace,
        }
    )
    return env


async def _waiting_worker(server: Server, admin: asyncpg.Connection) -> int:
    """The pid of the worker whose database session waits for the venues table (~10 s bound):
    found through the local port of that session's connection."""
    for _ in range(500):
        port = await admin.fetchval(
            "SELECT client_port FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        if port is not None:
            for worker in server.workers():
                with contextlib.suppress(psutil.NoSuchProcess):
                    if any(c.laddr.port == port for c in worker.net_connections(kind="tcp")):
                        return worker.pid
        await asyncio.sleep(0.02)
    raise AssertionError("the first request never reached the locked table:\n" + server.log_tail())


async def test_a_retry_after_the_worker_died_is_answered_within_seconds(
    crash_database: str, redis_namespace: str, tmp_path: Path
) -> None:
    token = await _admin_token(crash_database, redis_namespace)
    server = start_server(
        _env(tmp_path, crash_database, redis_namespace), WORKERS, tmp_path / "log"
    )
    admin = await asyncpg.connect(asyncpg_dsn(crash_database))
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "venue-crash-1"}
    try:
        await asyncio.to_thread(wait_until_serving, server, WORKERS)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            locked = admin.transaction()
            await locked.start()
            await admin.execute("LOCK TABLE venues IN ACCESS EXCLUSIVE MODE")
            first = asyncio.create_task(http.post("/venues", json=VENUE, headers=headers))
            doomed = await _waiting_worker(server, admin)
            # Alive and slower than its lease: the key stays its own.
            await asyncio.sleep(IN_FLIGHT_LEASE.total_seconds() + 1.0)
            duplicate = await http.post("/venues", json=VENUE, headers=headers)
            assert duplicate.status_code == 409, duplicate.text
            assert duplicate.json()["code"] == "idempotency_key_in_flight"

            os.kill(doomed, signal.SIGKILL)
            killed_at = time.monotonic()
            await locked.rollback()
            with contextlib.suppress(httpx.HTTPError):
                await first  # its connection died with the worker
            answers: list[int] = []
            while time.monotonic() - killed_at < 30:
                retry = await http.post("/venues", json=VENUE, headers=headers)
                answers.append(retry.status_code)
                if retry.status_code != 409:
                    break
                assert retry.json()["code"] == "idempotency_key_in_flight", retry.text
                await asyncio.sleep(0.1)
            waited = time.monotonic() - killed_at
            assert retry.status_code == 201, (answers, retry.text, server.log_tail())
            assert "idempotent-replayed" not in retry.headers
            assert waited < ANSWERED_WITHIN, (waited, answers)

            again = await http.post("/venues", json=VENUE, headers=headers)
            assert again.headers.get("idempotent-replayed") == "true"
            assert (again.status_code, again.content) == (201, retry.content)
        venues = await admin.fetchval("SELECT count(*) FROM venues WHERE name = $1", VENUE["name"])
        assert venues == 1
        print(f"\n  retry answered {waited:.2f} s after the kill ({len(answers)} tries)")
    finally:
        await admin.close()
        server.stop()
