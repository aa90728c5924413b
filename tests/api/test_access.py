"""Every administration endpoint refuses the callers it should, and refusing changes nothing.

One table lists each endpoint with a body it would accept; each test walks the whole table so
that a new endpoint is one line here. Refusals happen before any engine work, so two modes are
enough: embedded (SQLite) and database (PostgreSQL) cover both databases' lookups; the Redis
mode adds nothing an authorisation check could reach.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.conftest import ApiWorld, bearer, build_world
from voelgoedevents.bootstrap import Services

from support.api_checks import invalid, problem
from support.factories import small_document, table_counts

pytestmark = pytest.mark.parametrize("hold_services", ["embedded", "database"], indirect=True)

Ids = dict[str, str]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # with {venue}, {layout}, {event}, {seat}, {org}, {key} to fill in
    needs: str  # "platform", "admin" or "read" (read: any organisation key)
    body: Callable[[Ids], Any] | None = None

    def url(self, ids: Ids) -> str:
        return self.path.format(**ids)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _event_body(ids: Ids) -> dict[str, Any]:
    return {
        "venue_id": ids["venue"],
        "layout_id": ids["layout"],
        "name": "Matinee",
        "start_at": "2030-05-01T14:00:00Z",
        "end_at": "2030-05-01T17:00:00Z",
    }


def _seats(ids: Ids) -> dict[str, Any]:
    return {"seat_ids": [ids["seat"]]}


def _dates(ids: Ids) -> dict[str, Any]:
    return {"start_at": "2030-06-01T19:00:00Z", "end_at": "2030-06-01T22:00:00Z"}


PLATFORM = [
    Endpoint("POST", "/organizations", "platform", lambda ids: {"name": "N", "slug": "n-org"}),
    Endpoint("GET", "/organizations", "platform"),
    Endpoint(
        "POST", "/organizations/{org}/keys", "platform", lambda ids: {"name": "k", "role": "read"}
    ),
    Endpoint("GET", "/organizations/{org}/keys", "platform"),
    Endpoint("POST", "/keys/{key}/revoke", "platform"),
]
ADMIN = [
    Endpoint("POST", "/venues", "admin", lambda ids: {"name": "Annex"}),
    Endpoint("POST", "/venues/{venue}/layouts", "admin", lambda ids: small_document()),
    Endpoint("PUT", "/layouts/{layout}/document", "admin", lambda ids: small_document()),
    Endpoint("POST", "/layouts/{layout}/activate", "admin"),
    Endpoint("POST", "/layouts/{layout}/archive", "admin"),
    Endpoint("POST", "/layouts/{layout}/copy", "admin"),
    Endpoint("POST", "/events", "admin", _event_body),
    *(
        Endpoint("POST", f"/events/{{event}}/{move}", "admin")
        for move in ("publish", "go-live", "postpone", "cancel", "end", "archive")
    ),
    Endpoint("POST", "/events/{event}/reschedule", "admin", _dates),
    Endpoint(
        "POST",
        "/events/{event}/ticket-types",
        "admin",
        lambda ids: {"name": "Door", "price": "10.00", "kind": "ga", "total_quantity": 5},
    ),
    Endpoint("POST", "/events/{event}/seats/block", "admin", _seats),
    Endpoint("POST", "/events/{event}/seats/unblock", "admin", _seats),
]
READ = [
    Endpoint("GET", path, "read")
    for path in (
        "/venues",
        "/venues/{venue}",
        "/layouts",
        "/layouts/{layout}",
        "/layouts/{layout}/document",
        "/layouts/{layout}/sections",
        "/layouts/{layout}/seats",
        "/events",
        "/events/{event}",
        "/events/{event}/ticket-types",
        "/events/{event}/seats/{seat}/history",
        "/events/{event}/holds",
        "/events/{event}/orders",
        "/events/{event}/stream-token",
    )
]
ORGANISATION = ADMIN + READ
# Endpoints whose path names one thing of the organisation (lists of everything have none).
SCOPED = [e for e in ORGANISATION if "{" in e.path]


async def _ids(world: ApiWorld) -> Ids:
    keys = (
        await world.client.get(
            f"/organizations/{world.organization_id}/keys", headers=bearer(world.platform)
        )
    ).json()["items"]
    return {
        "org": world.organization_id,
        "key": next(key["id"] for key in keys if key["name"] == "read"),
        "venue": world.venue_id,
        "layout": world.layout_id,
        "event": world.event_id,
        "seat": world.seat_ids[0],
    }


async def _send(
    client: httpx.AsyncClient, endpoint: Endpoint, ids: Ids, headers: dict[str, str]
) -> httpx.Response:
    body = endpoint.body(ids) if endpoint.body else None
    return await client.request(endpoint.method, endpoint.url(ids), headers=headers, json=body)


def _unknown(ids: Ids) -> Ids:
    return {name: (value if name == "seat" else str(uuid.uuid4())) for name, value in ids.items()}


async def test_no_key_or_a_bad_key_is_401_everywhere(
    world: ApiWorld, hold_services: Services
) -> None:
    ids = await _ids(world)
    before = await table_counts(hold_services)
    unknown = "vg_000000000000_" + "x" * 43
    for headers in ({}, bearer("nonsense"), bearer(unknown), {"Authorization": "Basic eDp5"}):
        for endpoint in PLATFORM + ORGANISATION + [Endpoint("GET", "/organizations/{org}", "any")]:
            response = await _send(world.client, endpoint, ids, headers)
            assert problem(response, 401, "unauthenticated"), (endpoint, headers)
    assert await table_counts(hold_services) == before


async def test_roles_are_enforced_and_refusals_change_nothing(
    world: ApiWorld, hold_services: Services
) -> None:
    ids = await _ids(world)
    before = await table_counts(hold_services)
    weaker = {"platform": ["admin", "sales", "read"], "admin": ["sales", "read"], "read": []}
    for endpoint in PLATFORM + ORGANISATION:
        callers = list(weaker[endpoint.needs])
        if endpoint.needs != "platform":
            callers.append("platform")  # a platform key acts in no organisation
        for caller in callers:
            token = world.platform if caller == "platform" else world.keys[caller]
            response = await _send(world.client, endpoint, ids, bearer(token))
            body = problem(response, 403, "forbidden")
            assert body["detail"], (endpoint, caller)
    assert await table_counts(hold_services) == before


async def test_unknown_ids_and_another_organisations_ids_answer_the_same_404(
    world: ApiWorld, client: httpx.AsyncClient, hold_services: Services
) -> None:
    other = await _ids(await build_world(client, hold_services))
    ids = await _ids(world)
    before = await table_counts(hold_services)
    for endpoint in SCOPED:
        for foreign in (_unknown(ids), {**other, "seat": ids["seat"]}):
            if "{seat}" in endpoint.path and "{event}" not in endpoint.path:
                continue
            response = await _send(world.client, endpoint, foreign, world.headers("admin"))
            assert problem(response, 404, "not_found"), endpoint
    # The bodies of POST /events and the layout import name things of the other tenant too.
    foreign_event = _event_body({**ids, "venue": other["venue"], "layout": other["layout"]})
    problem(await world.call("POST", "/events", json=foreign_event), 404, "not_found")
    mixed = _event_body({**ids, "layout": other["layout"]})
    problem(await world.call("POST", "/events", json=mixed), 404, "not_found")
    # Keys and organisations: an organisation key sees only its own organisation.
    mine = await world.call("GET", f"/organizations/{world.organization_id}", "read")
    assert mine.status_code == 200 and mine.json()["id"] == world.organization_id
    problem(await world.call("GET", f"/organizations/{other['org']}", "read"), 404, "not_found")
    for path in ("/organizations/{org}", "/organizations/{org}/keys"):
        response = await client.get(path.format(org=uuid.uuid4()), headers=bearer(world.platform))
        problem(response, 404, "not_found")
    unknown_key = await client.post(f"/keys/{uuid.uuid4()}/revoke", headers=bearer(world.platform))
    problem(unknown_key, 404, "not_found")
    new_key = await client.post(
        f"/organizations/{uuid.uuid4()}/keys",
        headers=bearer(world.platform),
        json={"name": "k", "role": "read"},
    )
    problem(new_key, 404, "not_found")
    assert await table_counts(hold_services) == before


async def test_malformed_ids_in_paths_are_422_naming_the_parameter(
    world: ApiWorld, hold_services: Services
) -> None:
    ids = await _ids(world)
    before = await table_counts(hold_services)
    for endpoint in SCOPED + PLATFORM + [Endpoint("GET", "/organizations/{org}", "read")]:
        names = [name for name in ids if "{" + name + "}" in endpoint.path]
        if not names:
            continue
        token = world.platform if endpoint.needs == "platform" else world.keys["admin"]
        for name in names:
            response = await _send(
                world.client, endpoint, {**ids, name: "not-a-uuid"}, bearer(token)
            )
            parameter = {"org": "organization_id"}.get(name, f"{name}_id")
            invalid(response, f"path.{parameter}")
    assert await table_counts(hold_services) == before


async def test_the_document_lists_401_and_403_exactly_where_they_are_answered(
    world: ApiWorld, hold_services: Services
) -> None:
    """Driven by the served document, so a new operation is checked without a line here: an
    operation listing 401 refuses a call without a key, one listing 403 refuses the wrong kind
    of key (an organisation's on platform routes, a platform key on the others); operations
    listing neither (health, metrics, an organisation any key may read) answer such calls."""
    document = (await world.client.get("/openapi.json")).json()
    checked = 0
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            path = re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), template)
            answers = set(operation["responses"])
            assert "405" not in answers, (method, template)
            bare = await world.client.request(method, path)
            if "401" in answers:
                problem(bare, 401, "unauthenticated")
            else:
                assert bare.status_code not in (401, 403), (method, template, bare.text)
            platform_route = "organisations and keys" in operation.get("tags", [])
            for token in (world.keys["admin"], world.platform):
                wrong = (token == world.platform) != platform_route
                answer = await world.client.request(method, path, headers=bearer(token))
                if "403" in answers and wrong:
                    problem(answer, 403, "forbidden")
                elif "403" not in answers:
                    assert answer.status_code != 403, (method, template, answer.text)
            checked += 1
    assert checked >= 45
