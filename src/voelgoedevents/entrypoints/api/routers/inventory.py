"""An event's seat map: the whole of it in one answer, and a live stream of its changes."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.sse import EventSourceResponse, ServerSentEvent

from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.access import Role, stream_token_matches
from voelgoedevents.domain.errors import NotFound, Unauthenticated
from voelgoedevents.entrypoints.api.auth import (
    Reader,
    ServicesDep,
    bearer,
    current_caller,
    member_with,
)
from voelgoedevents.entrypoints.api.schemas import InventoryOut
from voelgoedevents.workflows.ticketing.inventory_view import InventoryView, event_inventory

router = APIRouter(tags=["seat map"])
KEEP_ALIVE_SECONDS = 15.0


def _out(view: InventoryView) -> dict[str, Any]:
    return {
        "event_id": view.event_id,
        "seat_count": view.seat_count,
        "states": base64.b64encode(view.states).decode(),
        "sections": view.sections,
        "source": view.source,
    }


@router.get("/events/{event_id}/inventory", response_model=InventoryOut)
async def seat_map(event_id: uuid.UUID, member: Reader, services: ServicesDep) -> dict[str, Any]:
    """Every seat's state in one compact answer (2 bits a seat), with counts per section."""
    return _out(
        await event_inventory(services, organization_id=member.organization_id, event_id=event_id)
    )


async def _stream_organization(
    request: Request,
    event_id: uuid.UUID,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    token: Annotated[
        str | None, Query(max_length=100, description="A public token from /stream-token")
    ] = None,
) -> uuid.UUID:
    """An API key of the event's organisation, or the event's public read token."""
    services: Services = request.app.state.services
    if token is not None:
        try:
            owner = await services.seat_maps.event_owner(event_id)
        except NotFound:
            raise Unauthenticated("invalid stream token") from None
        if not stream_token_matches(services.settings.api.secret, owner, event_id, token):
            raise Unauthenticated("invalid stream token")
        return owner
    if credentials is None:
        raise Unauthenticated("send an API key, or ?token= from /events/{id}/stream-token")
    member = await member_with(Role.READ)(await current_caller(request, credentials))
    await services.seat_maps.event(member.organization_id, event_id)  # 404 before streaming
    return member.organization_id


@router.get(
    "/events/{event_id}/seats/stream", response_class=EventSourceResponse, name="seat_stream"
)
async def seat_stream(
    event_id: uuid.UUID,
    organization_id: Annotated[uuid.UUID, Depends(_stream_organization)],
    services: ServicesDep,
) -> AsyncIterator[ServerSentEvent]:
    """Server-sent events: `snapshot` (the whole map, as in /inventory), then `seats` with each
    change as [index, state, version, held_until_ms], in order. Another `snapshot` may come at
    any time (changes may have been missed): it replaces the whole map. `resync` (the client fell
    too far behind) ends the stream: reconnect. No polling: changes arrive as they commit."""
    async with services.feed.subscribe(event_id) as queue:
        view = await event_inventory(services, organization_id=organization_id, event_id=event_id)
        known, known_areas = dict(view.versions), _area_versions(view)
        yield ServerSentEvent(event="snapshot", data=_out(view))
        while True:
            try:
                message = await asyncio.wait_for(queue.get(), KEEP_ALIVE_SECONDS)
            except TimeoutError:
                yield ServerSentEvent(comment="keep-alive")
                continue
            # What is already queued leaves with it, as one event: a busy worker gives this
            # generator a turn only now and then, and one change message per turn would leave
            # the client further behind with every turn.
            fresh: list[list[Any]] = []
            standing: list[Any] = []
            while message is not None and message is not _DRAINED and not message.get("resync"):
                for change in message.get("seats", []):
                    if change[2] > known.get(change[0], 0):
                        known[change[0]] = change[2]
                        fresh.append(change)
                for area in message.get("standing", []):  # [section, used, capacity, version]
                    if area[3] > known_areas.get(area[0], 0):
                        known_areas[area[0]] = area[3]
                        standing.append(area)
                message = queue.get_nowait() if not queue.empty() else _DRAINED
            if fresh or standing:
                yield ServerSentEvent(event="seats", data={"changes": fresh, "standing": standing})
            if message is None:  # too slow to keep up: the client reconnects for a fresh map
                yield ServerSentEvent(event="resync", data={"reason": "fell behind"})
                return
            if message.get("resync"):
                view = await event_inventory(
                    services, organization_id=organization_id, event_id=event_id
                )
                known, known_areas = dict(view.versions), _area_versions(view)
                yield ServerSentEvent(event="snapshot", data=_out(view))


def _area_versions(view: InventoryView) -> dict[str, int]:
    return {str(section): version for section, version in view.standing_versions.items()}


_DRAINED: dict[str, Any] = {}  # the queue is empty: nothing more to add to this event
