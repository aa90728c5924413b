"""The seat stream under a busy worker, deterministically: changes already queued for a client
leave together, in order, as one event.

The multi-worker storm (test_serve_workers.py) found a stream on a saturated worker falling
further and further behind (seconds, growing for as long as the storm lasted): the generator took
one change message per turn of the event loop, and a busy loop gives it few turns. Here the
backlog is made directly: messages are published while the generator waits, then it runs once.
"""

from __future__ import annotations

import uuid
from typing import Any

from voelgoedevents.bootstrap import Services
from voelgoedevents.entrypoints.api.routers.inventory import seat_stream

from support.factories import make_event, make_layout, make_organization, make_venue


async def _event(services: Services) -> tuple[uuid.UUID, uuid.UUID]:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    layout = await make_layout(services, organization.id, venue.id)
    event = await make_event(services, organization.id, venue.id, layout.id)
    return organization.id, event.id


def _change(event_id: uuid.UUID, index: int, version: int) -> dict[str, Any]:
    return {"event": str(event_id), "seats": [[index, 1, version, 0]], "standing": []}


async def test_a_backlog_leaves_as_one_event_in_order(services: Services) -> None:
    organization_id, event_id = await _event(services)
    stream = seat_stream(event_id, organization_id, services)
    try:
        snapshot = await anext(stream)
        assert snapshot.event == "snapshot"
        backlog = [(index % 10, 100 + index) for index in range(50)]  # 10 seats, 5 changes each
        for index, version in backlog:
            services.feed.publish(event_id, _change(event_id, index, version))
        services.feed.publish(event_id, _change(event_id, 0, 1))  # older than what came: dropped
        seats = await anext(stream)
        assert seats.event == "seats"
        assert [(c[0], c[2]) for c in seats.data["changes"]] == backlog
    finally:
        await stream.aclose()


async def test_a_resync_inside_a_backlog_keeps_its_place(services: Services) -> None:
    organization_id, event_id = await _event(services)
    stream = seat_stream(event_id, organization_id, services)
    try:
        await anext(stream)
        for index in range(3):
            services.feed.publish(event_id, _change(event_id, index, 100))
        services.feed.resync_all()
        services.feed.publish(event_id, _change(event_id, 5, 100))
        services.feed.publish(event_id, _change(event_id, 6, 100))
        events = [await anext(stream) for _ in range(3)]
        assert [event.event for event in events] == ["seats", "snapshot", "seats"]
        assert [c[0] for c in events[0].data["changes"]] == [0, 1, 2]
        assert [c[0] for c in events[2].data["changes"]] == [5, 6]
    finally:
        await stream.aclose()


async def test_a_client_too_far_behind_is_told_to_reconnect(services: Services) -> None:
    organization_id, event_id = await _event(services)
    stream = seat_stream(event_id, organization_id, services)
    try:
        await anext(stream)
        for version in range(1, 1_002):  # one more than the queue holds: dropped
            services.feed.publish(event_id, _change(event_id, 0, version))
        told = await anext(stream)
        assert (told.event, told.data) == ("resync", {"reason": "fell behind"})
        assert services.feed.subscriber_count(event_id) == 0
        assert [event async for event in stream] == []  # and the stream ends
    finally:
        await stream.aclose()


async def test_a_resync_with_no_room_left_still_reaches_the_client(services: Services) -> None:
    """A resync is how a client learns its map may be wrong: one that finds the queue full must
    not be dropped silently (the client would keep a wrong map); the client is told to
    reconnect instead."""
    organization_id, event_id = await _event(services)
    stream = seat_stream(event_id, organization_id, services)
    try:
        await anext(stream)
        for version in range(1, 1_001):  # exactly what the queue holds
            services.feed.publish(event_id, _change(event_id, 0, version))
        services.feed.resync_all()
        told = await anext(stream)
        assert (told.event, told.data) == ("resync", {"reason": "fell behind"})
        assert services.feed.subscriber_count(event_id) == 0
    finally:
        await stream.aclose()
