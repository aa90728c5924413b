"""The live seat stream (server-sent events) on a real uvicorn server, in every engine mode:
the snapshot first, then every change in order; who may read it; and, in Redis mode, changes
made by another server reach it through Redis pub/sub."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from api.conftest import bearer, build_world
from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.adapters.cache.redis_cache import RedisSeatCache
from voelgoedevents.bootstrap import Services, build_services
from voelgoedevents.entrypoints.api.app import create_app
from voelgoedevents.workflows.ticketing.cache_sync import verify_event_cache

from support.api import (
    AVAILABLE,
    BLOCKED,
    HELD,
    SOLD,
    assert_problem,
    block,
    decode_states,
    expected_states,
    hold_ok,
    seat_map,
    sell_ok,
    standing_ok,
)
from support.clock import ManualClock
from support.live import LIVENESS_SECONDS, SeatStream, eventually, open_stream, serve


@contextlib.asynccontextmanager
async def live_client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the app served by uvicorn, with its sweeper running."""
    app = create_app(services=services, background=True)
    async with (
        serve(app, services) as url,
        httpx.AsyncClient(base_url=url, timeout=LIVENESS_SECONDS) as http,
    ):
        yield http


def epoch_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


class LiveMap:
    """What a map page draws: the snapshot, then each change applied, checked as it comes."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.states = decode_states(snapshot["states"], snapshot["seat_count"])
        self.versions: dict[int, int] = {}
        self.standing: dict[str, tuple[int, int]] = {}

    async def expect(
        self, stream: SeatStream, seats: dict[int, tuple[int, int]] | None = None
    ) -> None:
        """The next change must be exactly ``seats`` (index: state, held-until ms)."""
        name, data = await stream.next()
        assert name == "seats", (name, data)
        got = {change[0]: (change[1], change[3]) for change in data["changes"]}
        assert got == (seats or {}), data
        for index, _state, version, _until in data["changes"]:
            assert version > self.versions.get(index, 0), "versions only move forward"
            self.versions[index] = version
        for index, (state, _until) in got.items():
            self.states[index] = state
        for section, used, capacity, _version in data["standing"]:
            self.standing[section] = (used, capacity)
        if seats:
            assert data["standing"] == []

    async def expect_standing(self, stream: SeatStream, section: str, used: int) -> None:
        await self.expect(stream)
        assert self.standing == {section: (used, 50)}


async def test_snapshot_then_every_change_in_order(
    hold_services: Services, clock: ManualClock
) -> None:
    async with live_client(hold_services) as http:
        world = await build_world(http, hold_services)
        ids = world.seat_ids
        async with open_stream(
            http, f"/events/{world.event_id}/seats/stream", headers=world.headers("read")
        ) as stream:
            name, snapshot = await stream.next()
            assert name == "snapshot" and snapshot["event_id"] == world.event_id
            live = LiveMap(snapshot)
            assert live.states == expected_states()
            held = await hold_ok(world, [ids[0], ids[1]])
            until = epoch_ms(held["held_until"])
            await live.expect(stream, {0: (HELD, until), 1: (HELD, until)})
            await world.call(
                "POST", f"/holds/{held['id']}/release", "sales", json={"seat_ids": [ids[1]]}
            )
            await live.expect(stream, {1: (AVAILABLE, 0)})
            await sell_ok(world, held["id"])
            await live.expect(stream, {0: (SOLD, 0)})
            await block(world, [ids[2]])
            await live.expect(stream, {2: (BLOCKED, 0)})
            doomed = await hold_ok(world, [ids[4]], holder="bob")
            await live.expect(stream, {4: (HELD, epoch_ms(doomed["held_until"]))})
            clock.advance(601)  # the app's sweeper (once a second) expires bob's hold
            await live.expect(stream, {4: (AVAILABLE, 0)})
            places = await standing_ok(world, 3)
            await live.expect_standing(stream, world.standing_section_id, used=3)
            await world.call("POST", f"/holds/{places['id']}/release", "sales")
            await live.expect_standing(stream, world.standing_section_id, used=0)
            assert (await seat_map(world)).states == live.states
            assert live.states == expected_states(s0=SOLD, s2=BLOCKED)
            expired = await world.call("GET", f"/holds/{doomed['id']}", "read")
            assert expired.json()["status"] == "expired"


async def test_who_may_read_the_stream(hold_services: Services) -> None:
    async with live_client(hold_services) as http:
        world = await build_world(http, hold_services)
        other = await build_world(http, hold_services)
        path = f"/events/{world.event_id}/seats/stream"
        assert_problem(await http.get(path), 401, "unauthenticated")
        assert_problem(await http.get(path, headers=other.headers("admin")), 404, "not_found")
        assert_problem(await http.get(path, headers=bearer("vg_nonsense")), 401, "unauthenticated")
        issued = await world.call("GET", f"/events/{world.event_id}/stream-token", "read")
        assert issued.status_code == 200, issued.text
        token = issued.json()["token"]
        theirs = (await other.call("GET", f"/events/{other.event_id}/stream-token")).json()
        refusals = [
            ("0" * len(token), 401, "unauthenticated"),
            (token[:-1], 401, "unauthenticated"),
            (theirs["token"], 401, "unauthenticated"),  # another event's
            ("é" * 10, 401, "unauthenticated"),
            ("x" * 101, 422, "invalid_input"),
        ]
        for bad, status, code in refusals:
            assert_problem(await http.get(path, params={"token": bad}), status, code)
        wrong_event = await http.get(
            f"/events/{other.event_id}/seats/stream", params={"token": token}
        )
        assert_problem(wrong_event, 401, "unauthenticated")
        # The public token alone reads the stream, live; the URL given with it works as is.
        async with open_stream(http, issued.json()["stream_url"]) as stream:
            name, snapshot = await stream.next()
            assert name == "snapshot" and snapshot["event_id"] == world.event_id
            live = LiveMap(snapshot)
            held = await hold_ok(world, [world.seat_ids[5]])
            await live.expect(stream, {5: (HELD, epoch_ms(held["held_until"]))})


@pytest.mark.parametrize("hold_services", ["redis"], indirect=True)
async def test_changes_cross_servers_through_redis(
    hold_services: Services, clock: ManualClock
) -> None:
    """Two servers with their own services (their own in-process feeds) on one database and
    one Redis: what one commits reaches the other's stream only through Redis pub/sub."""
    second = build_services(hold_services.settings, clock=clock, cache_mode="redis")
    try:
        async with live_client(hold_services) as first_http, live_client(second) as second_http:
            world = await build_world(first_http, hold_services)
            path = f"/events/{world.event_id}/seats/stream"
            async with open_stream(second_http, path, headers=world.headers("read")) as stream:
                name, snapshot = await stream.next()
                assert name == "snapshot"
                live = LiveMap(snapshot)
                held = await hold_ok(world, [world.seat_ids[0], world.seat_ids[9]])
                until = epoch_ms(held["held_until"])
                await live.expect(stream, {0: (HELD, until), 9: (HELD, until)})
                await sell_ok(world, held["id"])
                await live.expect(stream, {0: (SOLD, 0), 9: (SOLD, 0)})
                await standing_ok(world, 2)
                await live.expect_standing(stream, world.standing_section_id, used=2)
            # The server notices the client left and drops its subscription.
            await eventually(lambda: second.feed.subscriber_count(uuid.UUID(world.event_id)) == 0)
    finally:
        await second.aclose()


@pytest.mark.parametrize("hold_services", ["redis"], indirect=True)
async def test_a_repaired_cache_sends_every_stream_a_fresh_map(
    hold_services: Services, clock: ManualClock
) -> None:
    """Drift a stream cannot see by itself: the cache says a seat is sold, at the very version
    the database has it available, so the map drawn from the cache is wrong and the repair's
    change is no newer than what the stream has. `cache verify --repair`, run by another process,
    must send the stream a fresh map."""
    operator = build_services(hold_services.settings, clock=clock, cache_mode="redis")
    try:
        async with live_client(hold_services) as http:
            world = await build_world(http, hold_services)
            key = EventKey(uuid.UUID(world.organization_id), uuid.UUID(world.event_id))
            assert (await seat_map(world)).source == "cache"  # loaded on first use
            cache = hold_services.cache
            assert isinstance(cache, RedisSeatCache)
            await cache.client.execute_command(
                "BITFIELD", cache.keys(key).state, "SET", "u2", "#0", SOLD
            )
            path = f"/events/{world.event_id}/seats/stream"
            async with open_stream(http, path, headers=world.headers("read")) as stream:
                name, snapshot = await stream.next()
                assert name == "snapshot" and snapshot["source"] == "cache"
                assert LiveMap(snapshot).states == expected_states(s0=SOLD)  # the wrong map

                report = await verify_event_cache(operator, key, repair=True)
                assert report.repaired and [drift.index for drift in report.seats] == [0]

                name, repaired = await stream.next()
                assert name == "snapshot", (name, repaired)
                assert LiveMap(repaired).states == expected_states()
                assert (await seat_map(world)).states == expected_states()
    finally:
        await operator.aclose()


@pytest.mark.parametrize("hold_services", ["redis"], indirect=True)
async def test_a_server_serves_once_its_relay_listens(hold_services: Services) -> None:
    """Changes published before the relay subscribes never reach this process: start-up waits
    for the subscription, so a stream opened the moment the server is up misses nothing."""
    app = create_app(services=hold_services, background=False)
    async with app.router.lifespan_context(app):
        assert app.state.relay.subscribed.is_set()


async def test_a_standing_count_older_than_the_map_is_not_sent(hold_services: Services) -> None:
    """A queued change may be older than a fresh snapshot (a resync, or a write that arrived
    late): seat changes were already filtered by version, and now standing counts are too."""
    async with live_client(hold_services) as http:
        world = await build_world(http, hold_services)
        async with open_stream(
            http, f"/events/{world.event_id}/seats/stream", headers=world.headers("read")
        ) as stream:
            live = LiveMap((await stream.next())[1])
            await standing_ok(world, 3)
            await live.expect_standing(stream, world.standing_section_id, used=3)
            hold_services.feed.publish(  # what the area said before those 3 places
                uuid.UUID(world.event_id),
                {
                    "event": world.event_id,
                    "seats": [],
                    "standing": [[world.standing_section_id, 0, 50, 1]],
                },
            )
            await block(world, [world.seat_ids[2]])
            await live.expect(stream, {2: (BLOCKED, 0)})  # the stale count was not sent
            assert live.standing == {world.standing_section_id: (3, 50)}
