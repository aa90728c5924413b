"""Idempotent writes (``Idempotency-Key``, per API key) over HTTP: a retry gets the stored
answer and creates nothing; the key reused for another request, a duplicate still in flight,
another key's independent use, and failures on our side (5xx) that are not kept."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from api.conftest import ApiWorld
from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.adapters.cache.redis_cache import RedisSeatCache
from voelgoedevents.adapters.database.ledger.locks import lock_event_sales
from voelgoedevents.adapters.database.tables import IdempotencyRecord, SeatHold
from voelgoedevents.bootstrap import Services
from voelgoedevents.entrypoints.api.app import create_app
from voelgoedevents.entrypoints.api.middleware import request_digest
from voelgoedevents.workflows.access import (
    IN_FLIGHT_LEASE,
    Authenticator,
    Caller,
    begin_idempotent,
    finish_idempotent,
)

from support.api import (
    HTTP_LAYER_ONLY,
    Unchanged,
    assert_problem,
    expected_states,
    reserve,
    seat_map,
)
from support.clock import ManualClock
from support.factories import table_counts


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def assert_replayed(retry: httpx.Response, original: httpx.Response) -> None:
    assert retry.headers.get("idempotent-replayed") == "true", retry.headers
    assert (retry.status_code, retry.content) == (original.status_code, original.content)


async def hold_count(services: Services) -> int:
    async with services.engine.connect() as connection:
        return int(await connection.scalar(sa.select(sa.func.count()).select_from(SeatHold)) or 0)


async def stored_keys(services: Services) -> dict[str, str]:
    async with services.engine.connect() as connection:
        rows = await connection.execute(sa.select(IdempotencyRecord.key, IdempotencyRecord.state))
        return {row.key: row.state for row in rows}


async def test_a_retry_gets_the_stored_answer_and_creates_nothing(
    world: ApiWorld, hold_services: Services
) -> None:
    seats = [world.seat_ids[0], world.seat_ids[1]]
    first = await reserve(world, seats, headers=keyed("basket-7/try"))
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    before = await table_counts(hold_services)
    again = await reserve(world, seats, headers=keyed("basket-7/try"))
    assert_replayed(again, first)
    assert again.headers["content-type"] == first.headers["content-type"]
    assert await table_counts(hold_services) == before
    # Even after the hold is released, the retry is answered, not run: no second hold.
    hold_id = first.json()["id"]
    await world.call("POST", f"/holds/{hold_id}/release", "sales")
    late = await reserve(world, seats, headers=keyed("basket-7/try"))
    assert_replayed(late, first)  # the first answer, as it was then
    assert await hold_count(hold_services) == 1
    assert (await seat_map(world)).states == expected_states()


async def test_every_write_replays_sell_and_refund(
    world: ApiWorld, hold_services: Services
) -> None:
    hold = (await reserve(world, [world.seat_ids[4]])).json()
    answers = [
        await world.call("POST", f"/holds/{hold['id']}/order", "sales", headers=keyed("sell-1"))
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert_replayed(answers[1], answers[0])
    order_id = answers[0].json()["id"]
    path = f"/orders/{order_id}/cancel"
    refund = await world.call("POST", path, json={"refund": True}, headers=keyed("refund-1"))
    assert refund.json()["status"] == "refunded"
    before = await table_counts(hold_services)
    replay = await world.call("POST", path, json={"refund": True}, headers=keyed("refund-1"))
    assert_replayed(replay, refund)
    assert await table_counts(hold_services) == before


async def test_the_same_key_for_another_request_is_refused(
    world: ApiWorld, hold_services: Services
) -> None:
    ids = world.seat_ids
    first = await reserve(world, [ids[0]], headers=keyed("k-1"))
    assert first.status_code == 201
    async with Unchanged(hold_services, world):
        for answer in [
            await reserve(world, [ids[1]], headers=keyed("k-1")),
            await reserve(world, [ids[0]], holder="bob", headers=keyed("k-1")),
            await world.call(
                "POST", f"/holds/{first.json()['id']}/release", "sales", headers=keyed("k-1")
            ),
            await world.call(
                "POST",
                f"/events/{world.event_id}/holds?x=1",
                "sales",
                json={"seat_ids": [ids[0]], "holder_ref": "alice"},
                headers=keyed("k-1"),
            ),
        ]:
            assert_problem(answer, 422, "idempotency_key_reused")
    assert_replayed(await reserve(world, [ids[0]], headers=keyed("k-1")), first)


async def test_keys_are_per_api_key(world: ApiWorld, hold_services: Services) -> None:
    ids = world.seat_ids
    sales = await reserve(world, [ids[0]], role="sales", headers=keyed("shared"))
    admin = await reserve(world, [ids[1]], role="admin", headers=keyed("shared"))
    assert (sales.status_code, admin.status_code) == (201, 201), admin.text
    assert "idempotent-replayed" not in admin.headers
    assert sales.json()["id"] != admin.json()["id"]
    # The very same request under the same key from another API key is not a replay: it runs,
    # and is refused because the first key's hold has the seat.
    mine = await reserve(world, [ids[2]], role="sales", headers=keyed("same"))
    theirs = await reserve(world, [ids[2]], role="admin", headers=keyed("same"))
    assert mine.status_code == 201 and "idempotent-replayed" not in theirs.headers
    assert assert_problem(theirs, 409, "seat_unavailable")["seats"] == {ids[2]: "held"}
    assert_replayed(await reserve(world, [ids[0]], role="sales", headers=keyed("shared")), sales)
    assert_replayed(await reserve(world, [ids[1]], role="admin", headers=keyed("shared")), admin)
    assert await hold_count(hold_services) == 3


@HTTP_LAYER_ONLY
async def test_a_malformed_key_is_refused(world: ApiWorld, hold_services: Services) -> None:
    async with Unchanged(hold_services, world):
        for bad in ("has space", "x" * 201, "tab\there", ""):
            answer = await reserve(world, [world.seat_ids[0]], headers=keyed(bad))
            assert_problem(answer, 422, "invalid_input")
        raw = await world.client.post(
            f"/events/{world.event_id}/holds",
            headers=[
                (b"authorization", f"Bearer {world.keys['sales']}".encode()),
                (b"idempotency-key", "caf\xe9".encode("latin-1")),
            ],
            json={"seat_ids": [world.seat_ids[0]], "holder_ref": "a"},
        )
        assert_problem(raw, 422, "invalid_input")


@pytest.mark.parametrize("hold_services", ["redis", "database"], indirect=True)
async def test_a_duplicate_in_flight_gets_409_with_retry_after(
    world: ApiWorld, hold_services: Services
) -> None:
    """PostgreSQL only: the first request is paused on the event's sales lock, which the test
    holds in its own transaction (SQLite's single writer would stop the key's record too)."""
    seats = [world.seat_ids[0]]
    event_id = uuid.UUID(world.event_id)
    async with hold_services.uow() as uow:
        await lock_event_sales(uow.session, event_id, exclusive=True)
        first = asyncio.create_task(reserve(world, seats, headers=keyed("slow")))
        await _wait_for_a_blocked_advisory_lock(hold_services)
        assert await stored_keys(hold_services) == {"slow": "in_flight"}
        duplicate = await reserve(world, seats, headers=keyed("slow"))
        assert_problem(duplicate, 409, "idempotency_key_in_flight")
        assert duplicate.headers["retry-after"] == "1"
        other = await reserve(world, [world.seat_ids[1]], headers=keyed("slow"))
        assert_problem(other, 422, "idempotency_key_reused")
        assert not first.done()
    # The lock is released (the block rolled back): the first request completes.
    answer: httpx.Response = await asyncio.wait_for(first, timeout=10)
    assert answer.status_code == 201, answer.text
    assert_replayed(await reserve(world, seats, headers=keyed("slow")), answer)
    assert await hold_count(hold_services) == 1


async def _wait_for_a_blocked_advisory_lock(services: Services) -> None:
    """Until some session of this database waits for an advisory lock (liveness bound ~8 s)."""
    query = sa.text(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE d.datname = current_database() AND l.locktype = 'advisory' AND NOT l.granted"
    )
    for _ in range(400):
        async with services.engine.connect() as connection:
            if await connection.scalar(query):
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the first request never reached the event's sales lock")


@pytest.mark.parametrize("hold_services", ["redis"], indirect=True)
async def test_a_failure_on_our_side_is_not_stored(
    world: ApiWorld, hold_services: Services
) -> None:
    """A seat's Redis lock held by someone else makes the reserve answer 503 busy; that answer
    is not kept, so the retry under the same key runs afresh once the seat is free."""
    cache = hold_services.cache
    assert isinstance(cache, RedisSeatCache)
    seat = world.seat_ids[0]
    event = EventKey(uuid.UUID(world.organization_id), uuid.UUID(world.event_id))
    lock = cache.keys(event).seat_lock(uuid.UUID(seat))
    await cache.client.set(lock, "another-request", px=60_000)
    try:
        async with Unchanged(hold_services, world):
            busy = await reserve(world, [seat], headers=keyed("try-1"))
            assert_problem(busy, 503, "busy")
            assert busy.headers["retry-after"] == "1"
    finally:
        await cache.client.delete(lock)
    assert await stored_keys(hold_services) == {}
    fresh = await reserve(world, [seat], headers=keyed("try-1"))
    assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers
    assert_replayed(await reserve(world, [seat], headers=keyed("try-1")), fresh)


async def test_a_first_attempt_that_died_in_flight_is_taken_over_after_its_lease(
    world: ApiWorld, hold_services: Services, clock: ManualClock
) -> None:
    """A server that dies mid-request leaves the key's record in flight. A retry gets 409 while
    the first attempt could still be running, then runs afresh once the lease is over; the dead
    attempt, were it to finish late, no longer owns the record."""
    body = {"seat_ids": [str(world.seat_ids[0])], "holder_ref": "alice"}
    path = f"/events/{world.event_id}/holds"
    caller = await hold_services_caller(world, hold_services)
    digest = request_digest("POST", path, b"", json.dumps(body).encode())
    dead = await begin_idempotent(
        hold_services, key_id=caller.key_id, key="crashed", request_hash=digest
    )
    assert dead.state == "new"  # what the dead server had claimed
    retry = await world.call(
        "POST",
        path,
        "sales",
        content=json.dumps(body),
        headers={"Idempotency-Key": "crashed", "Content-Type": "application/json"},
    )
    assert_problem(retry, 409, "idempotency_key_in_flight")
    assert await hold_count(hold_services) == 0
    clock.advance(IN_FLIGHT_LEASE.total_seconds() + 1)
    taken = await world.call(
        "POST",
        path,
        "sales",
        content=json.dumps(body),
        headers={"Idempotency-Key": "crashed", "Content-Type": "application/json"},
    )
    assert taken.status_code == 201, taken.text
    assert dead.claimed_at is not None
    await finish_idempotent(  # the dead attempt's late answer changes nothing
        hold_services,
        key_id=caller.key_id,
        key="crashed",
        claimed_at=dead.claimed_at,
        status_code=500,
        content_type="text/plain",
        body=b"late",
    )
    again = await world.call(
        "POST",
        path,
        "sales",
        content=json.dumps(body),
        headers={"Idempotency-Key": "crashed", "Content-Type": "application/json"},
    )
    assert_replayed(again, taken)
    assert await hold_count(hold_services) == 1


async def hold_services_caller(world: ApiWorld, services: Services) -> Caller:
    caller = await Authenticator(services).caller(world.keys["sales"])
    assert caller is not None
    return caller


# --- the lease: kept while the request runs, settled before the answer leaves --------------


@pytest.mark.parametrize("hold_services", ["database"], indirect=True)
async def test_a_request_slower_than_the_lease_keeps_its_key(
    world: ApiWorld, hold_services: Services, clock: ManualClock
) -> None:
    """The lease is short so that a dead attempt's key is free within seconds; a live one
    renews it while it runs, so a duplicate still gets 409 long after the lease would have
    lapsed, and no second hold is made."""
    seats = [world.seat_ids[0]]
    async with hold_services.uow() as uow:
        await lock_event_sales(uow.session, uuid.UUID(world.event_id), exclusive=True)
        first = asyncio.create_task(reserve(world, seats, headers=keyed("slow")))
        await _wait_for_a_blocked_advisory_lock(hold_services)
        for _ in range(3):
            clock.advance(IN_FLIGHT_LEASE.total_seconds() * 2)
            await _until_renewed_past(hold_services, "slow", clock)
            duplicate = await reserve(world, seats, headers=keyed("slow"))
            assert_problem(duplicate, 409, "idempotency_key_in_flight")
        assert not first.done()
    answer: httpx.Response = await asyncio.wait_for(first, timeout=10)
    assert answer.status_code == 201, answer.text
    assert_replayed(await reserve(world, seats, headers=keyed("slow")), answer)
    assert await hold_count(hold_services) == 1


async def _until_renewed_past(services: Services, key: str, clock: ManualClock) -> None:
    """Until the request holding ``key`` renewed its lease from the clock's present time (it
    renews every RENEW_SECONDS of real time; liveness bound ~5 s)."""
    for _ in range(250):
        async with services.engine.connect() as connection:
            until = await connection.scalar(
                sa.select(IdempotencyRecord.lease_until).where(IdempotencyRecord.key == key)
            )
        if until is not None and until > clock.now:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the request holding the key never renewed its lease")


async def _keyed_asgi_call(
    app: Any, token: str, path: str, body: dict[str, Any], key: str, on_last_bytes: Any
) -> int:
    """One request straight into the ASGI app, calling ``on_last_bytes()`` at the moment the
    answer's final body message is sent, before the client could have it all."""
    raw = json.dumps(body).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(raw)).encode()),
            (b"idempotency-key", key.encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("api", 80),
    }
    messages = [{"type": "http.request", "body": raw, "more_body": False}]
    status = 0

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.sleep(3600)  # the client never hangs up
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            await on_last_bytes()

    await app(scope, receive, send)
    return status


@pytest.mark.parametrize("hold_services", ["redis"], indirect=True)
async def test_an_answered_request_never_leaves_its_key_in_flight(
    world: ApiWorld, hold_services: Services
) -> None:
    """Whatever the answer (stored or not: 201, 409, 403, a 503), the key's record is settled
    before the answer's last bytes are sent: a client that has its answer and retries at once
    never gets `idempotency_key_in_flight`. (The record used to be settled after the answer had
    gone out.)"""
    cache = hold_services.cache
    assert isinstance(cache, RedisSeatCache)
    event = EventKey(uuid.UUID(world.organization_id), uuid.UUID(world.event_id))
    path = f"/events/{world.event_id}/holds"
    app = create_app(services=hold_services, background=False)
    seen: dict[str, dict[str, str]] = {}
    cases = [
        ("made", "sales", [world.seat_ids[0]], 201, "done"),
        ("taken", "sales", [world.seat_ids[0]], 409, "done"),
        ("weak-key", "read", [world.seat_ids[1]], 403, None),
        ("busy", "sales", [world.seat_ids[2]], 503, None),
    ]
    lock = cache.keys(event).seat_lock(uuid.UUID(world.seat_ids[2]))
    await cache.client.set(lock, "another-request", px=60_000)
    try:
        async with app.router.lifespan_context(app):
            for key, role, seats, expected, kept in cases:

                async def on_last_bytes(key: str = key) -> None:
                    seen[key] = await stored_keys(hold_services)

                body = {"seat_ids": seats, "holder_ref": "alice"}
                status = await _keyed_asgi_call(
                    app, world.keys[role], path, body, key, on_last_bytes
                )
                assert status == expected, (key, status)
                assert seen[key].get(key) == kept, (key, seen[key])
    finally:
        await cache.client.delete(lock)
    assert "in_flight" not in {state for states in seen.values() for state in states.values()}
