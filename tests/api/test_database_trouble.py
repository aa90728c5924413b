"""A database that refuses to wait, or does not answer, is a 503 ``busy`` with Retry-After: in
the idempotency middleware (which reads keys and records itself, outside the app's error
handlers) exactly as in the endpoints. Never a 500, and nothing is kept, so the retry under the
same Idempotency-Key runs afresh.

Real PostgreSQL throughout: a lock held by another connection with a short ``lock_timeout`` (as
an operator would set it on the database), the app's connections terminated by the server, and
a port nothing listens on.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import sqlalchemy as sa

from api.conftest import ApiWorld, bearer
from voelgoedevents.adapters.database.tables import IdempotencyRecord
from voelgoedevents.bootstrap import Services, build_services
from voelgoedevents.entrypoints.api.app import create_app
from voelgoedevents.settings import DatabaseSettings, HoldSettings, load_settings

from support.api import assert_problem, reserve
from support.factories import table_counts
from support.servers import POSTGRES_ADMIN_URL, asyncpg_dsn

PG_ONLY = pytest.mark.parametrize("hold_services", ["database"], indirect=True)


@contextlib.asynccontextmanager
async def short_lock_timeout(services: Services) -> AsyncIterator[None]:
    """The app's connections give up on a lock after 200 ms (``55P03 lock_not_available``):
    set on the database, picked up by every connection opened from here on."""
    name = services.engine.url.database
    await admin(f'ALTER DATABASE "{name}" SET lock_timeout = 200')
    try:
        await services.engine.dispose()
        yield
    finally:
        await admin(f'ALTER DATABASE "{name}" RESET lock_timeout')
        await services.engine.dispose()


async def admin(sql: str, *args: Any) -> Any:
    connection = await asyncpg.connect(asyncpg_dsn(POSTGRES_ADMIN_URL), timeout=10)
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def table_locked(services: Services, table: str, mode: str) -> AsyncIterator[None]:
    """Another connection holds ``table`` in ``mode`` until the block ends."""
    async with services.engine.connect() as connection, connection.begin():
        await connection.execute(sa.text("SET LOCAL lock_timeout = 0"))
        await connection.execute(sa.text(f"LOCK TABLE {table} IN {mode} MODE"))
        yield


def assert_busy(answer: httpx.Response) -> None:
    assert_problem(answer, 503, "busy")
    assert int(answer.headers["retry-after"]) >= 1, answer.headers


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def records(services: Services) -> dict[str, str]:
    async with services.engine.connect() as connection:
        rows = await connection.execute(sa.select(IdempotencyRecord.key, IdempotencyRecord.state))
        return {row.key: row.state for row in rows}


@PG_ONLY
async def test_a_lock_the_middleware_cannot_get_is_a_503_not_a_500(
    world: ApiWorld, hold_services: Services
) -> None:
    seat = [world.seat_ids[0]]
    before = await table_counts(hold_services)
    async with short_lock_timeout(hold_services):
        # The key's record cannot be written while another transaction holds its table.
        async with table_locked(hold_services, "idempotency_records", "SHARE"):
            assert_busy(await reserve(world, seat, headers=keyed("try-1")))
        # Nor can a key be looked up under an exclusive lock: a token this process has not
        # seen yet is read in the middleware (with Idempotency-Key) or in the endpoint.
        made = await world.client.post(
            f"/organizations/{world.organization_id}/keys",
            headers=bearer(world.platform),
            json={"name": "new till", "role": "sales"},
        )
        assert made.status_code == 201, made.text
        fresh = bearer(made.json()["token"])
        body = {"seat_ids": seat, "holder_ref": "alice"}
        path = f"/events/{world.event_id}/holds"
        async with table_locked(hold_services, "api_keys", "ACCESS EXCLUSIVE"):
            for headers in ({**fresh, **keyed("try-2")}, fresh):
                assert_busy(await world.client.post(path, headers=headers, json=body))
        after = await table_counts(hold_services)
    assert after == {**before, "api_keys": before["api_keys"] + 1}  # only the new key
    assert await records(hold_services) == {}
    # Nothing was kept: the retries run afresh, once.
    again = await reserve(world, seat, headers=keyed("try-1"))
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers, again.text
    replayed = await reserve(world, seat, headers=keyed("try-1"))
    assert (replayed.headers.get("idempotent-replayed"), replayed.content) == (
        "true",
        again.content,
    )


@PG_ONLY
async def test_connections_the_server_dropped_are_a_503_then_the_retry_works(
    world: ApiWorld, hold_services: Services
) -> None:
    """A restart or failover ends the app's pooled connections under it: the next request
    through the middleware finds them gone."""
    seat = [world.seat_ids[1]]
    before = await table_counts(hold_services)
    ended = await admin(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        hold_services.engine.url.database,
    )
    assert ended, "the app had no open connection to end"
    assert_busy(await reserve(world, seat, headers=keyed("after-restart")))
    assert await table_counts(hold_services) == before
    answer = await reserve(world, seat, headers=keyed("after-restart"))
    assert answer.status_code == 201 and "idempotent-replayed" not in answer.headers, answer.text


async def test_a_database_nothing_answers_at_is_a_503_everywhere() -> None:
    """Port 1 of this host: connections are refused. With and without Idempotency-Key, for a
    write and a read: 503 busy, never a 500."""
    services = build_services(
        load_settings(
            database=DatabaseSettings(
                url="postgresql+asyncpg://voelgoed@127.0.0.1:1/nowhere", pool_size=1
            ),
            holds=HoldSettings(),
        )
    )
    app = create_app(services=services, background=False)
    token = bearer("vg_abcdefghijkl_" + "s" * 40)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
                calls: list[tuple[str, str, dict[str, Any]]] = [
                    ("POST", "/venues", {**token, **keyed("k-1")}),
                    ("POST", "/venues", token),
                    ("GET", "/venues", token),
                    ("GET", f"/holds/{uuid.uuid4()}", token),
                ]
                for method, path, headers in calls:
                    answer = await client.request(
                        method, path, headers=headers, json={"name": "Hall"}
                    )
                    assert_busy(answer)
                health = await client.get("/health")
                assert health.status_code == 503 and health.json()["database"]["ok"] is False
    finally:
        await services.aclose()
