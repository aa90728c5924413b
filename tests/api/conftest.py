"""The HTTP API over httpx's ASGI transport (the real app and lifespan, no network), in each
mode of the engine, with keys made through the real workflows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.access import ApiKeySpec, Role
from voelgoedevents.entrypoints.api.app import create_app
from voelgoedevents.workflows.access import create_api_key

from support.factories import small_document


@pytest.fixture
async def client(hold_services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services=hold_services, background=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class ApiWorld:
    """An organisation built through the API: keys of every role, a venue, an active layout
    and a published event on sale."""

    client: httpx.AsyncClient
    platform: str
    organization_id: str
    keys: dict[str, str]
    venue_id: str
    layout_id: str
    event_id: str
    seat_ids: list[str]
    standing_section_id: str

    def headers(self, role: str = "admin") -> dict[str, str]:
        return bearer(self.keys[role])

    async def call(
        self, method: str, path: str, role: str = "admin", **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)


async def platform_token(services: Services) -> str:
    _, token = await create_api_key(
        services, organization_id=None, spec=ApiKeySpec(name="platform", role=Role.PLATFORM)
    )
    return token


async def build_world(client: httpx.AsyncClient, services: Services) -> ApiWorld:
    platform = await platform_token(services)
    slug = f"org-{uuid.uuid4().hex[:8]}"
    organization = (
        await client.post(
            "/organizations", headers=bearer(platform), json={"name": slug, "slug": slug}
        )
    ).json()
    keys = {}
    for role in ("admin", "sales", "read"):
        made = await client.post(
            f"/organizations/{organization['id']}/keys",
            headers=bearer(platform),
            json={"name": role, "role": role},
        )
        assert made.status_code == 201, made.text
        keys[role] = made.json()["token"]
    admin = bearer(keys["admin"])
    venue = (await client.post("/venues", headers=admin, json={"name": "Hall"})).json()
    layout = await client.post(
        f"/venues/{venue['id']}/layouts", headers=admin, json=small_document()
    )
    assert layout.status_code == 201, layout.text
    layout_id = layout.json()["id"]
    assert (await client.post(f"/layouts/{layout_id}/activate", headers=admin)).status_code == 200
    event = await client.post(
        "/events",
        headers=admin,
        json={
            "venue_id": venue["id"],
            "layout_id": layout_id,
            "name": "Gala",
            "start_at": "2030-04-01T19:00:00Z",
            "end_at": "2030-04-01T22:00:00Z",
            "sale_start_at": "2030-02-01T00:00:00Z",
        },
    )
    assert event.status_code == 201, event.text
    event_id = event.json()["id"]
    assert (await client.post(f"/events/{event_id}/publish", headers=admin)).status_code == 200
    seats = (await client.get(f"/layouts/{layout_id}/seats", headers=admin)).json()["items"]
    sections = (await client.get(f"/layouts/{layout_id}/sections", headers=admin)).json()["items"]
    standing = next(s["id"] for s in sections if s["section_type"] == "standing")
    return ApiWorld(
        client,
        platform,
        organization["id"],
        keys,
        venue["id"],
        layout_id,
        event_id,
        [seat["id"] for seat in seats],
        standing,
    )


@pytest.fixture
async def world(client: httpx.AsyncClient, hold_services: Services) -> ApiWorld:
    return await build_world(client, hold_services)
