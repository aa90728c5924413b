"""A Redis reply that arrives after the client's socket timeout: redis-py reconnects and sends the
same command again, so a script runs twice for one request.

A TCP proxy between the client and a private Redis holds back the first reply to the reserve's
claim (or commit) script longer than ``socket_timeout_seconds``. Redis has already run the script;
the client gives up waiting, reconnects and runs it again. The reserve must still succeed with
exactly one hold (no false "unavailable", no "busy"), the seats must belong to that hold, its
locks must be gone, and the cache must equal the database.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import pytest
import sqlalchemy as sa

from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.adapters.database.tables import EventCacheStatus, SeatHold
from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.ticketing.reservation import ReserveRequest
from voelgoedevents.domain.ticketing.states import HoldStatus, SeatState
from voelgoedevents.workflows.ticketing.cache_sync import verify_event_cache
from voelgoedevents.workflows.ticketing.reserve_seat import reserve_seat

from support.chaos import Command, RedisProxy, RedisServer, lock_keys, script_sha
from support.clock import ManualClock
from support.factories import on_sale_scenario
from support.holds import seat_ids, seat_rows

SOCKET_TIMEOUT = 0.3
HOLD_BACK = 1.0  # well past the socket timeout


@pytest.fixture
async def proxy(private_redis: RedisServer) -> AsyncIterator[RedisProxy]:
    proxy = RedisProxy(private_redis.port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


def _runs_of(sha: str, lock_key: str) -> Callable[[Command], bool]:
    """EVALSHA of the given script whose keys include the given seat lock."""

    def picks(command: Command) -> bool:
        return (
            command[0].upper() == b"EVALSHA"
            and command[1].decode() == sha
            and lock_key.encode() in command[3:]
        )

    return picks


@pytest.mark.slow
@pytest.mark.parametrize("script", ["claim.lua", "commit.lua"])
async def test_a_timed_out_script_retried_by_the_client_still_gives_one_hold(
    pg_services: Services,
    private_redis: RedisServer,
    proxy: RedisProxy,
    redis_services: Callable[..., Services],
    clock: ManualClock,
    script: str,
) -> None:
    services = redis_services(proxy.url, clock, socket_timeout_seconds=SOCKET_TIMEOUT)
    scenario = await on_sale_scenario(pg_services)
    event = EventKey(scenario.org_id, scenario.event.id)
    seats = await seat_ids(pg_services, scenario)
    wanted, warm_up = seats[:2], seats[4]  # A1, A2; B1

    # Warm up through the proxy: the event is loaded into Redis, the scripts are known to it.
    await reserve_seat(
        services,
        organization_id=event.organization_id,
        event_id=event.event_id,
        request=ReserveRequest(seat_ids=[warm_up], holder_ref="warm-up"),
    )
    before = await seat_rows(pg_services, event.event_id)
    lock_key = services.cache.keys(event).seat_lock(min(wanted))  # type: ignore[attr-defined]
    runs = _runs_of(script_sha(script), lock_key)
    assert proxy.seen(runs) == []

    proxy.arm(runs, HOLD_BACK)
    started = time.monotonic()
    held = await reserve_seat(
        services,
        organization_id=event.organization_id,
        event_id=event.event_id,
        request=ReserveRequest(seat_ids=wanted, holder_ref="carol"),
    )
    took = time.monotonic() - started

    # Exactly one hold (no false "unavailable", no "busy"), and the seats are its.
    assert held.status == HoldStatus.ACTIVE.value
    rows = await seat_rows(pg_services, event.event_id)
    for seat in wanted:
        assert (rows[seat].status, rows[seat].hold_id, rows[seat].version) == (
            SeatState.HELD,
            held.id,
            before[seat].version + 1,
        )
    async with pg_services.uow() as uow:
        carols = list(
            await uow.session.scalars(
                sa.select(SeatHold).where(
                    SeatHold.event_id == event.event_id, SeatHold.holder_ref == "carol"
                )
            )
        )
        stale = list(await uow.session.scalars(sa.select(EventCacheStatus)))
    assert [(hold.id, hold.status, hold.seat_count) for hold in carols] == [
        (held.id, HoldStatus.ACTIVE, 2)
    ]
    assert not proxy.armed and len(proxy.held_back) == 1, "no reply was held back"
    assert took >= SOCKET_TIMEOUT, took

    # The client retried (the script went out twice, on two connections: Redis had already run
    # it once, the held-back reply says so), the workflow never saw Redis fail, no lock of the
    # request is left, nothing was marked stale and the cache equals the database.
    connections = proxy.seen(runs)
    reply = proxy.held_back[0]
    first_run = b"claimed" in reply if script == "claim.lua" else reply.startswith(b"*3\r\n:2\r\n")
    report = await verify_event_cache(services, event, repair=False)
    observed = {
        "the held-back reply was the script's real answer": first_run,
        "times the script was sent": len(connections),
        "on distinct connections": len(set(connections)),
        "cache failures the workflow saw": services.gate.failures,
        "event marked stale": bool(stale) or bool(services.gate.stale),
        "lock keys left under the event": lock_keys(private_redis, "chaos", event.event_id),
        "cache loaded": report.loaded,
        "drift": report.drift,
    }
    assert observed == {
        "the held-back reply was the script's real answer": True,
        "times the script was sent": 2,
        "on distinct connections": 2,
        "cache failures the workflow saw": 0,
        "event marked stale": False,
        "lock keys left under the event": [],
        "cache loaded": True,
        "drift": 0,
    }, report
