"""Organisations with one of everything a route can take the id of, built through the API
(the tenancy matrix and the schemathesis run seed theirs with it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from voelgoedevents.bootstrap import Services

from .conftest import ApiWorld, bearer, build_world
from support.factories import small_document


@dataclass
class Tenant:
    """An organisation with one of everything a route takes the id of.

    Seats by index: 0 and 1 sold (``order_id``), 3 blocked by the layout, 4 and 5 held
    (``hold_id``), 6 onwards available."""

    world: ApiWorld
    draft_layout_id: str
    draft_event_id: str
    hold_id: str
    held_seat_ids: list[str]
    order_id: str
    ticket_type_id: str
    key_ids: dict[str, str]
    stream_token: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world, name)

    @property
    def free_seat_ids(self) -> list[str]:
        return self.world.seat_ids[6:]


def ok(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, (answer.request.url, answer.text)
    body: dict[str, Any] = answer.json()
    return body


async def build_tenant(
    client: httpx.AsyncClient, services: Services, *, real_clock: bool = False
) -> Tenant:
    """``real_clock``: for a server on the system clock (the tests' manual clock stands in
    March 2030, where ``build_world``'s event is on sale): the event on sale is a new one whose
    sales opened in 2020."""
    world = await build_world(client, services)
    if real_clock:
        body = {
            **event_body(world.venue_id, world.layout_id),
            "sale_start_at": "2020-01-01T00:00:00Z",
        }
        event = ok(await world.call("POST", "/events", json=body), 201)
        ok(await world.call("POST", f"/events/{event['id']}/publish"))
        world.event_id = event["id"]
    sold = ok(
        await world.call(
            "POST",
            f"/events/{world.event_id}/holds",
            "sales",
            json={"seat_ids": world.seat_ids[:2], "holder_ref": "buyer-1"},
        ),
        201,
    )
    order = ok(await world.call("POST", f"/holds/{sold['id']}/order", "sales"), 201)
    held_seats = world.seat_ids[4:6]
    hold = ok(
        await world.call(
            "POST",
            f"/events/{world.event_id}/holds",
            "sales",
            json={"seat_ids": held_seats, "holder_ref": "buyer-2"},
        ),
        201,
    )
    draft_layout = ok(
        await world.call("POST", f"/venues/{world.venue_id}/layouts", json=small_document()), 201
    )
    draft_event = ok(
        await world.call("POST", "/events", json=event_body(world.venue_id, world.layout_id)), 201
    )
    ticket_type = ok(
        await world.call(
            "POST",
            f"/events/{world.event_id}/ticket-types",
            json={"name": "Stalls", "price": "150.00", "kind": "seated", "price_tier": "A"},
        ),
        201,
    )
    keys = (
        await client.get(
            f"/organizations/{world.organization_id}/keys", headers=bearer(world.platform)
        )
    ).json()["items"]
    token = ok(await world.call("GET", f"/events/{world.event_id}/stream-token", "read"))
    return Tenant(
        world,
        draft_layout_id=draft_layout["id"],
        draft_event_id=draft_event["id"],
        hold_id=hold["id"],
        held_seat_ids=held_seats,
        order_id=order["id"],
        ticket_type_id=ticket_type["id"],
        key_ids={key["name"]: key["id"] for key in keys},
        stream_token=token["token"],
    )


def event_body(venue_id: str, layout_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "venue_id": venue_id,
        "name": "Matinee",
        "start_at": "2030-05-01T14:00:00Z",
        "end_at": "2030-05-01T17:00:00Z",
        "sale_start_at": "2030-02-01T00:00:00Z",
    }
    if layout_id is None:
        body["capacity"] = 100
    else:
        body["layout_id"] = layout_id
    return body
