"""Tenancy: the organisation always comes from the API key.

Two organisations, A and B, are built through the API. For every route of the app (enumerated
from ``app.routes``, so a route added later without a matrix entry fails
``test_every_route_is_in_the_matrix``), A's strongest key is sent with B's ids, in the path, the
query or the body. The answer must be exactly the one the same call gets with random ids that
exist nowhere (status, code and the whole body, ids aside), and nothing may change: every row of
every table and every Redis key of the run's namespace is compared before and after, and no seat
change may be published. Afterwards B's own key sends the same calls, to show that the ids were
real and the requests well formed (so the refusals above were about the organisation alone).

Also: lists never show another organisation's rows, the seat stream does not cross over (by key
or by public token), platform routes need a platform key and a platform key cannot act inside an
organisation, and an Idempotency-Key never replays another organisation's answer.
"""

from __future__ import annotations

import asyncio
import json
import re
import types
import typing
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from redis.asyncio import Redis

from voelgoedevents.adapters.cache.redis_cache import RedisSeatCache
from voelgoedevents.bootstrap import Services
from voelgoedevents.entrypoints.api.app import create_app
from voelgoedevents.settings import load_settings

from .conftest import bearer
from .tenants import Tenant, build_tenant, event_body, ok
from support.factories import small_document
from support.snapshots import database_snapshot, differences, redis_snapshot

CALL_TIMEOUT = 30.0  # a hang (say, a stream opened by mistake) fails instead of blocking the run


class Stranger:
    """Stands in for B: the same attributes, each id replaced by a fresh random one that exists
    nowhere (the same one each time it is asked for). ``as_b`` maps B's answer onto this one's."""

    def __init__(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self._swapped: dict[str, Any] = {}
        self.replacements: dict[str, str] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._swapped:
            self._swapped[name] = self._swap(getattr(self._tenant, name))
        return self._swapped[name]

    def _swap(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._swap(item) for item in value]
        if isinstance(value, dict):
            return {key: self._swap(item) for key, item in value.items()}
        assert isinstance(value, str) and uuid.UUID(value), value
        if value not in self.replacements:
            self.replacements[value] = str(uuid.uuid4())
        return self.replacements[value]

    def as_b(self, text: str) -> str:
        """B's answer with each of B's ids written as the random id that stood in for it."""
        for real, stand_in in self.replacements.items():
            text = text.replace(real, stand_in)
        return text


# --- the matrix ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    path: dict[str, str] = field(default_factory=dict)
    json: Any = None
    query: dict[str, str] | None = None
    document: bool = False  # the body is a layout document


# (own organisation, the other organisation or its stand-in) -> the call
Make = Callable[[Any, Any], Call]


@dataclass(frozen=True)
class Probe:
    covers: frozenset[str]  # which id parameters of the route carry the other's ids
    make: Make
    # What A's key gets with B's ids (and with random ones); SAME_AS_MISSING: whatever random
    # ids get, as long as it is a 404 or an empty 200.
    expect: tuple[int, str | None] | None


SAME_AS_MISSING = None


def probe(
    covers: str, make: Make, expect: tuple[int, str | None] | None = (404, "not_found")
) -> Probe:
    return Probe(frozenset(covers.split()), make, expect)


@dataclass(frozen=True)
class Entry:
    """``member``: organisation keys (A's admin key is the strongest); ``platform``: platform
    keys only; ``anyone``: any key, each organisation's key scoped to its organisation;
    ``public``: no key at all (docs, health, metrics)."""

    kind: str
    probes: tuple[Probe, ...] = ()
    why: str = ""


NOT_FOUND = (404, "not_found")
FORBIDDEN = (403, "forbidden")
UNAVAILABLE = (409, "seat_unavailable")


def member(*probes: Probe) -> Entry:
    return Entry("member", probes)


def no_ids(make: Make, why: str) -> Probe:
    """A call that names no resource: nothing of another organisation's can be sent."""
    return Probe(frozenset(), make, (0, None))


def seats(ids: list[str]) -> dict[str, Any]:
    return {"seat_ids": ids, "reason": "tenancy probe"}


def hold_of(ids: list[str]) -> dict[str, Any]:
    return {"seat_ids": ids, "holder_ref": "intruder"}


RESCHEDULE = {
    "start_at": "2030-06-01T19:00:00Z",
    "end_at": "2030-06-01T22:00:00Z",
    "sale_start_at": "2030-02-01T00:00:00Z",
}
TICKET_TYPE = {"name": "Probe", "price": "10.00", "kind": "ga", "total_quantity": 5}


def event_route(field_name: str = "event_id") -> Make:
    return lambda own, other: Call({"event_id": getattr(other, field_name)})


MATRIX: dict[tuple[str, str], Entry] = {
    # public
    ("GET", "/openapi.json"): Entry("public", why="the API's description"),
    ("GET", "/docs"): Entry("public", why="Swagger UI"),
    ("GET", "/docs/oauth2-redirect"): Entry("public", why="Swagger UI"),
    ("GET", "/redoc"): Entry("public", why="ReDoc"),
    ("GET", "/health"): Entry("public", why="load balancers"),
    ("GET", "/metrics"): Entry("public", why="Prometheus"),
    # platform: organisations and keys
    ("POST", "/organizations"): Entry(
        "platform",
        (
            no_ids(
                lambda own, other: Call(
                    json={"name": "Probe", "slug": f"p-{uuid.uuid4().hex[:8]}"}
                ),
                "creates one",
            ),
        ),
    ),
    ("GET", "/organizations"): Entry("platform", (no_ids(lambda own, other: Call(), "lists all"),)),
    ("GET", "/organizations/{organization_id}"): Entry(
        "anyone",
        (
            probe(
                "path:organization_id", lambda own, o: Call({"organization_id": o.organization_id})
            ),
        ),
    ),
    ("POST", "/organizations/{organization_id}/keys"): Entry(
        "platform",
        (
            probe(
                "path:organization_id",
                lambda own, o: Call(
                    {"organization_id": o.organization_id}, json={"name": "x", "role": "admin"}
                ),
                FORBIDDEN,
            ),
        ),
    ),
    ("GET", "/organizations/{organization_id}/keys"): Entry(
        "platform",
        (
            probe(
                "path:organization_id",
                lambda own, o: Call({"organization_id": o.organization_id}),
                FORBIDDEN,
            ),
        ),
    ),
    ("POST", "/keys/{key_id}/revoke"): Entry(
        "platform",
        (probe("path:key_id", lambda own, o: Call({"key_id": o.key_ids["read"]}), FORBIDDEN),),
    ),
    # venues and layouts
    ("POST", "/venues"): member(
        no_ids(lambda own, other: Call(json={"name": "Probe hall"}), "creates in its own org")
    ),
    ("GET", "/venues"): member(no_ids(lambda own, other: Call(), "lists its own org")),
    ("GET", "/venues/{venue_id}"): member(
        probe("path:venue_id", lambda own, o: Call({"venue_id": o.venue_id}))
    ),
    ("POST", "/venues/{venue_id}/layouts"): member(
        probe("path:venue_id", lambda own, o: Call({"venue_id": o.venue_id}, document=True))
    ),
    ("GET", "/layouts"): member(
        no_ids(lambda own, other: Call(), "lists its own org"),
        # A filter on another organisation's venue finds what a filter on no venue finds.
        probe("query:venue_id", lambda own, o: Call(query={"venue_id": o.venue_id}), (200, None)),
    ),
    ("GET", "/layouts/{layout_id}"): member(
        probe("path:layout_id", lambda own, o: Call({"layout_id": o.layout_id}))
    ),
    ("GET", "/layouts/{layout_id}/document"): member(
        probe("path:layout_id", lambda own, o: Call({"layout_id": o.layout_id}))
    ),
    ("PUT", "/layouts/{layout_id}/document"): member(
        probe(
            "path:layout_id", lambda own, o: Call({"layout_id": o.draft_layout_id}, document=True)
        )
    ),
    ("POST", "/layouts/{layout_id}/activate"): member(
        probe("path:layout_id", lambda own, o: Call({"layout_id": o.draft_layout_id}))
    ),
    ("POST", "/layouts/{layout_id}/archive"): member(
        probe("path:layout_id", lambda own, o: Call({"layout_id": o.draft_layout_id}))
    ),
    ("POST", "/layouts/{layout_id}/copy"): member(
        probe("path:layout_id", lambda own, o: Call({"layout_id": o.layout_id}))
    ),
    ("GET", "/layouts/{layout_id}/sections"): member(
        probe("path:layout_id", lambda own, o: Call({"layout_id": o.layout_id}))
    ),
    ("GET", "/layouts/{layout_id}/seats"): member(
        probe("path:layout_id", lambda own, o: Call({"layout_id": o.layout_id}))
    ),
    # events
    ("POST", "/events"): member(
        probe(
            "body:venue_id body:layout_id",
            lambda own, o: Call(json=event_body(o.venue_id, o.layout_id)),
        ),
        probe("body:venue_id", lambda own, o: Call(json=event_body(o.venue_id, None))),
        # A's own venue with B's layout: the layout is not found.
        probe("body:layout_id", lambda own, o: Call(json=event_body(own.venue_id, o.layout_id))),
    ),
    ("GET", "/events"): member(no_ids(lambda own, other: Call(), "lists its own org")),
    ("GET", "/events/{event_id}"): member(probe("path:event_id", event_route())),
    ("POST", "/events/{event_id}/publish"): member(
        probe("path:event_id", event_route("draft_event_id"))
    ),
    ("POST", "/events/{event_id}/go-live"): member(probe("path:event_id", event_route())),
    ("POST", "/events/{event_id}/postpone"): member(probe("path:event_id", event_route())),
    ("POST", "/events/{event_id}/reschedule"): member(
        probe("path:event_id", lambda own, o: Call({"event_id": o.event_id}, json=RESCHEDULE))
    ),
    ("POST", "/events/{event_id}/cancel"): member(
        probe("path:event_id", event_route("draft_event_id"))
    ),
    ("POST", "/events/{event_id}/end"): member(probe("path:event_id", event_route())),
    ("POST", "/events/{event_id}/archive"): member(probe("path:event_id", event_route())),
    ("POST", "/events/{event_id}/ticket-types"): member(
        probe("path:event_id", lambda own, o: Call({"event_id": o.event_id}, json=TICKET_TYPE))
    ),
    ("GET", "/events/{event_id}/ticket-types"): member(probe("path:event_id", event_route())),
    ("POST", "/events/{event_id}/seats/block"): member(
        probe(
            "path:event_id body:seat_ids",
            lambda own, o: Call({"event_id": o.event_id}, json=seats(o.free_seat_ids[:1])),
        ),
        # A's event, B's seat: not a seat of this event, and nothing is blocked.
        probe(
            "body:seat_ids",
            lambda own, o: Call({"event_id": own.event_id}, json=seats(o.free_seat_ids[:1])),
            UNAVAILABLE,
        ),
        # One of A's free seats with one of B's: all or nothing, so A's stays free.
        probe(
            "body:seat_ids",
            lambda own, o: Call(
                {"event_id": own.event_id}, json=seats([own.free_seat_ids[0], o.free_seat_ids[1]])
            ),
            UNAVAILABLE,
        ),
    ),
    ("POST", "/events/{event_id}/seats/unblock"): member(
        probe(
            "path:event_id body:seat_ids",
            lambda own, o: Call({"event_id": o.event_id}, json=seats(o.seat_ids[3:4])),
        ),
        probe(
            "body:seat_ids",
            lambda own, o: Call({"event_id": own.event_id}, json=seats(o.seat_ids[3:4])),
            UNAVAILABLE,
        ),
    ),
    ("GET", "/events/{event_id}/seats/{seat_id}/history"): member(
        probe(
            "path:event_id path:seat_id",
            lambda own, o: Call({"event_id": o.event_id, "seat_id": o.seat_ids[0]}),
        ),
        # A's event, B's sold seat: B's seat history must not leak through A's event. A seat
        # the event does not have answers an empty history or a 404 (both are sound, and the
        # route has moved between them): whichever it is, B's seat gets exactly that.
        probe(
            "path:seat_id",
            lambda own, o: Call({"event_id": own.event_id, "seat_id": o.seat_ids[0]}),
            SAME_AS_MISSING,
        ),
    ),
    ("GET", "/events/{event_id}/holds"): member(probe("path:event_id", event_route())),
    ("GET", "/events/{event_id}/orders"): member(probe("path:event_id", event_route())),
    ("GET", "/events/{event_id}/stream-token"): member(probe("path:event_id", event_route())),
    ("GET", "/events/{event_id}/inventory"): member(probe("path:event_id", event_route())),
    ("GET", "/events/{event_id}/seats/stream"): member(probe("path:event_id", event_route())),
    # holds and orders
    ("POST", "/events/{event_id}/holds"): member(
        probe(
            "path:event_id body:seat_ids",
            lambda own, o: Call({"event_id": o.event_id}, json=hold_of(o.free_seat_ids[:2])),
        ),
        probe(
            "body:seat_ids",
            lambda own, o: Call({"event_id": own.event_id}, json=hold_of(o.free_seat_ids[:2])),
            UNAVAILABLE,
        ),
        probe(
            "body:seat_ids",
            lambda own, o: Call(
                {"event_id": own.event_id},
                json=hold_of([own.free_seat_ids[0], o.free_seat_ids[1]]),
            ),
            UNAVAILABLE,
        ),
        probe(
            "body:section_id",
            lambda own, o: Call(
                {"event_id": own.event_id},
                json={"section_id": o.standing_section_id, "quantity": 2, "holder_ref": "x"},
            ),
            (422, "invalid_input"),
        ),
    ),
    ("GET", "/holds/{hold_id}"): member(
        probe("path:hold_id", lambda own, o: Call({"hold_id": o.hold_id}))
    ),
    ("POST", "/holds/{hold_id}/extend"): member(
        probe("path:hold_id", lambda own, o: Call({"hold_id": o.hold_id}))
    ),
    ("POST", "/holds/{hold_id}/release"): member(
        probe("path:hold_id", lambda own, o: Call({"hold_id": o.hold_id})),
        probe(
            "path:hold_id body:seat_ids",
            lambda own, o: Call({"hold_id": o.hold_id}, json={"seat_ids": o.held_seat_ids[:1]}),
        ),
        # A's hold, B's held seat: not in this hold; neither hold changes.
        probe(
            "body:seat_ids",
            lambda own, o: Call({"hold_id": own.hold_id}, json={"seat_ids": o.held_seat_ids[:1]}),
            (422, "invalid_input"),
        ),
    ),
    ("POST", "/holds/{hold_id}/order"): member(
        probe("path:hold_id", lambda own, o: Call({"hold_id": o.hold_id}))
    ),
    ("GET", "/holds/{hold_id}/history"): member(
        probe("path:hold_id", lambda own, o: Call({"hold_id": o.hold_id}))
    ),
    ("GET", "/orders/{order_id}"): member(
        probe("path:order_id", lambda own, o: Call({"order_id": o.order_id}))
    ),
    ("POST", "/orders/{order_id}/cancel"): member(
        probe(
            "path:order_id",
            lambda own, o: Call({"order_id": o.order_id}, json={"refund": True, "reason": "x"}),
        )
    ),
}


def app_routes(app: FastAPI) -> Iterator[tuple[str, str, Any]]:
    """(method, path template, route) for every route the app serves (HEAD beside GET aside)."""
    for context in iter_route_contexts(app.routes):
        methods = set(context.methods or ())
        if "GET" in methods:
            methods.discard("HEAD")
        assert context.path is not None
        for method in sorted(methods):
            yield method, context.path, context.original_route


def _carries_ids(annotation: Any, seen: set[Any]) -> list[str]:
    """Field names (dotted) under ``annotation`` whose type holds a UUID."""
    if annotation is uuid.UUID:
        return [""]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return []
        seen = seen | {annotation}
        names = []
        for name, info in annotation.model_fields.items():
            names += [
                name + ("." + sub if sub else "") for sub in _carries_ids(info.annotation, seen)
            ]
        return names
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        found: list[str] = []
        for argument in typing.get_args(annotation):
            found += [name for name in _carries_ids(argument, seen) if name not in found]
        return found
    return []


def id_parameters(route: Any) -> set[str]:
    """Every parameter of the route that names a resource: ``path:x``, ``query:x``, ``body:x``."""
    if not isinstance(route, APIRoute):
        return set()
    found = {f"path:{name}" for name in re.findall(r"{(\w+)", route.path)}
    dependants = [route.dependant]
    while dependants:
        dependant = dependants.pop()
        dependants += dependant.dependencies
        for query in dependant.query_params:
            if _carries_ids(query.field_info.annotation, set()):
                found.add(f"query:{query.name}")
        for body in dependant.body_params:
            found |= {f"body:{name}" for name in _carries_ids(body.field_info.annotation, set())}
    return found


def test_every_route_is_in_the_matrix() -> None:
    """A new route fails here until it gets an entry (and a probe for each of its ids)."""
    app = create_app(load_settings())
    served = {(method, path): route for method, path, route in app_routes(app)}
    missing = sorted(set(served) - set(MATRIX))
    assert not missing, f"routes with no tenancy matrix entry: {missing}"
    stale = sorted(set(MATRIX) - set(served))
    assert not stale, f"matrix entries for routes the app does not serve: {stale}"
    for key, route in served.items():
        entry = MATRIX[key]
        covered = set().union(*(probe.covers for probe in entry.probes))
        needed = id_parameters(route)
        assert needed <= covered, f"{key}: no probe sends another organisation's {needed - covered}"
        if entry.kind == "public":
            assert not needed and not entry.probes, key
        else:
            assert entry.probes, f"{key}: a {entry.kind} route needs at least one probe"
    # The discovery itself works: it finds ids in the path, the query and nested in bodies.
    assert id_parameters(served[("POST", "/events/{event_id}/holds")]) == {
        "path:event_id",
        "body:seat_ids",
        "body:section_id",
    }
    assert id_parameters(served[("GET", "/layouts")]) == {"query:venue_id"}
    assert id_parameters(served[("POST", "/events")]) == {"body:venue_id", "body:layout_id"}


# --- calling ------------------------------------------------------------------------------------


@dataclass
class Api:
    app: FastAPI
    client: httpx.AsyncClient
    services: Services

    async def send(
        self, method: str, path: str, call: Call, token: str, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        url = path.format(**call.path)
        assert "{" not in url, (path, call)
        kwargs: dict[str, Any] = {"params": call.query}
        if call.document:
            kwargs["content"] = json.dumps(small_document("Probe document")).encode()
            kwargs["headers"] = {"Content-Type": "application/json"}
        elif call.json is not None:
            kwargs["json"] = call.json
        kwargs["headers"] = {**kwargs.get("headers", {}), **bearer(token), **(headers or {})}
        return await asyncio.wait_for(
            self.client.request(method, url, **kwargs), timeout=CALL_TIMEOUT
        )


@pytest.fixture
async def api(hold_services: Services) -> AsyncIterator[Api]:
    app = create_app(services=hold_services, background=False)
    async with app.router.lifespan_context(app):
        # The matrix sends a few hundred calls with one key in a few seconds: on a fast machine
        # that could meet the per-key rate limit, whose 429 would stand in for the answer under
        # test. Off, as VOELGOED_API_RATE_LIMIT_PER_SECOND=0 would set it.
        app.state.rate_limiter.limit = 0
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield Api(app, client, hold_services)


@pytest.fixture
async def tenants(api: Api) -> tuple[Tenant, Tenant]:
    return await build_tenant(api.client, api.services), await build_tenant(
        api.client, api.services
    )


def summary(answer: httpx.Response) -> tuple[int, str | None]:
    code = None
    if answer.headers.get("content-type", "").endswith("json"):
        body = answer.json()
        code = body.get("code") if isinstance(body, dict) else None
    return answer.status_code, code


def outline(answer: httpx.Response) -> tuple[int, str, str]:
    return answer.status_code, answer.headers.get("content-type", ""), answer.text


class StateWatch:
    """Everything stored, before and after; and every seat change published meanwhile."""

    def __init__(self, services: Services) -> None:
        self.services = services
        cache = services.cache
        self.redis: Redis | None = cache.client if isinstance(cache, RedisSeatCache) else None
        self.namespace = services.settings.redis.namespace

    async def snapshot(self) -> dict[str, Any]:
        taken = {"database": await database_snapshot(self.services)}
        if self.redis is not None:
            taken["redis"] = await redis_snapshot(self.redis, self.namespace)
        return taken


@pytest.mark.slow
async def test_another_organisations_ids_answer_like_missing_ones_and_change_nothing(
    api: Api, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    admin, platform = a.keys["admin"], a.platform
    routes = {(method, path): route for method, path, route in app_routes(api.app)}
    watch = StateWatch(api.services)
    # Warm what reads may load lazily (the event caches), so the snapshot is of settled state.
    for tenant in (a, b):
        ok(await tenant.call("GET", f"/events/{tenant.event_id}/inventory", "read"))
    before = await watch.snapshot()
    probed = refused = 0
    async with _published_changes(watch) as published:
        for (method, path), entry in MATRIX.items():
            assert (method, path) in routes
            for one in entry.probes:
                if entry.kind == "member":
                    # A platform key cannot act inside an organisation, even on its real ids.
                    answer = await api.send(method, path, one.make(a, a), platform)
                    assert summary(answer) == FORBIDDEN, (method, path, answer.text)
                if entry.kind == "platform":
                    # An organisation's key cannot reach platform routes, even for its own org.
                    answer = await api.send(method, path, one.make(a, a), admin)
                    assert summary(answer) == FORBIDDEN, (method, path, answer.text)
                    refused += 1
                if not one.covers:
                    continue
                stranger = Stranger(b)
                random_answer = await api.send(method, path, one.make(a, stranger), admin)
                b_answer = await api.send(method, path, one.make(a, b), admin)
                where = f"{method} {path} {sorted(one.covers)}"
                if one.expect is SAME_AS_MISSING:
                    assert summary(b_answer) == NOT_FOUND or (
                        b_answer.status_code == 200 and not _every_id(b_answer.json())
                    ), (where, b_answer.text)
                else:
                    assert summary(b_answer) == one.expect, (where, b_answer.text)
                assert outline(random_answer)[:2] == outline(b_answer)[:2], where
                b_text = stranger.as_b(b_answer.text)
                assert _comparable(random_answer.text) == _comparable(b_text), (
                    where,
                    b_answer.text,
                    random_answer.text,
                )
                for real in stranger.replacements:  # no id of B's echoed back but the ones sent
                    assert real not in b_answer.text or _sent(one.make(a, b), real), where
                probed += 1
        await asyncio.sleep(0.2)  # let any stray publish arrive
    after = await watch.snapshot()
    assert before == after, differences(
        before.get("database", {}) | before.get("redis", {}),
        after.get("database", {}) | after.get("redis", {}),
    )
    assert published == [], published[:5]
    assert probed >= 50 and refused >= 5  # the matrix really ran

    # B's own key with the same calls: the ids were real and the requests well formed, so the
    # refusals above came from the organisation alone.
    for (method, path), entry in MATRIX.items():
        for one in entry.probes:
            if not one.covers:
                continue
            token = b.platform if entry.kind == "platform" else b.keys["admin"]
            if path.endswith("/seats/stream"):  # endless when it opens: read its first event
                status, first = await open_stream(
                    api.app, path.format(**one.make(b, b).path), token
                )
                assert (status, first.split("\n")[0]) == (200, "event: snapshot"), first
                continue
            answer = await api.send(method, path, one.make(b, b), token)
            assert answer.status_code < 500, (method, path, answer.text)
            assert answer.status_code not in (401, 403, 404, 422), (method, path, answer.text)


def _sent(call: Call, value: str) -> bool:
    return value in json.dumps([call.path, call.json, call.query])


def _comparable(text: str) -> str:
    """Answers may name ids in any order (a dict of seats, say); compare them as JSON."""
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except ValueError:
        return text


class _published_changes:
    """Collects every seat change published while open: on Redis (every event of the namespace)
    and on the process's own feed (embedded and database modes)."""

    def __init__(self, watch: StateWatch) -> None:
        self.watch = watch
        self.messages: list[Any] = []
        self._task: asyncio.Task[None] | None = None
        self._pubsub: Any = None

    async def __aenter__(self) -> list[Any]:
        original = self.watch.services.feed.publish

        def recording(event_id: uuid.UUID, message: Any) -> None:
            self.messages.append((event_id, message))
            original(event_id, message)

        self._original = original
        self.watch.services.feed.publish = recording  # type: ignore[method-assign]
        if self.watch.redis is not None:
            self._pubsub = self.watch.redis.pubsub()
            await self._pubsub.psubscribe(f"{self.watch.namespace}:org:*:event:*:changes")
            self._task = asyncio.create_task(self._listen())
        return self.messages

    async def _listen(self) -> None:
        async for message in self._pubsub.listen():
            if message["type"] == "pmessage":
                self.messages.append(message["data"])

    async def __aexit__(self, *exc: object) -> None:
        self.watch.services.feed.publish = self._original  # type: ignore[method-assign]
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            await self._pubsub.aclose()


async def open_stream(
    app: FastAPI, path: str, token: str | None = None, query: str = ""
) -> tuple[int, str]:
    """Open the seat stream on the app itself (httpx's ASGI transport would wait for the end of
    an endless answer): the status, and the first event when it opens. Then hang up."""
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    hang_up = asyncio.Event()
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await hang_up.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        await messages.put(message)

    headers = [(b"host", b"api")]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": headers,
        "server": ("api", 80),
        "client": ("127.0.0.1", 50000),
    }
    task = asyncio.create_task(app(scope, receive, send))
    try:
        start = await asyncio.wait_for(messages.get(), CALL_TIMEOUT)
        assert start["type"] == "http.response.start", start
        body = b""
        while b"\n\n" not in body:
            message = await asyncio.wait_for(messages.get(), CALL_TIMEOUT)
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        return start["status"], body.decode()
    finally:
        hang_up.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.slow
async def test_the_seat_stream_does_not_cross_organisations(
    api: Api, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    stream = "/events/{}/seats/stream"
    # Each organisation's own key and its own event's token open the stream.
    for tenant in (a, b):
        status, first = await open_stream(
            api.app, stream.format(tenant.event_id), tenant.keys["read"]
        )
        assert (status, first.split("\n")[0]) == (200, "event: snapshot"), first
        opened = await open_stream(
            api.app, stream.format(tenant.event_id), query=f"token={tenant.stream_token}"
        )
        assert opened[0] == 200 and opened[1].startswith("event: snapshot"), opened
    # A's key on B's event: refused as for an event that does not exist.
    refused = await open_stream(api.app, stream.format(b.event_id), a.keys["admin"])
    missing = await open_stream(api.app, stream.format(uuid.uuid4()), a.keys["admin"])
    assert refused[0] == missing[0] == 404
    assert json.loads(refused[1])["code"] == json.loads(missing[1])["code"] == "not_found"
    # B's token opens neither A's event nor any other; A's token does not open B's event.
    random_token = await open_stream(
        api.app, stream.format(a.event_id), query=f"token={'x' * len(b.stream_token)}"
    )
    for event_id, token in ((a.event_id, b.stream_token), (b.event_id, a.stream_token)):
        status, body = await open_stream(api.app, stream.format(event_id), query=f"token={token}")
        assert (status, body) == random_token, body
        assert status == 401 and json.loads(body)["code"] == "unauthenticated"
    # And an organisation's key cannot mint a token for another's event.
    minted = await a.call("GET", f"/events/{b.event_id}/stream-token", "admin")
    assert summary(minted) == NOT_FOUND


def _every_id(value: Any) -> set[str]:
    """Every UUID string anywhere in a JSON value."""
    if isinstance(value, dict):
        return set().union(*(_every_id(v) | _every_id(k) for k, v in value.items()))
    if isinstance(value, list):
        return set().union(*(_every_id(item) for item in value))
    if isinstance(value, str):
        try:
            uuid.UUID(value)
        except ValueError:
            return set()
        return {value}
    return set()


async def _lists(tenant: Tenant, *, as_: Tenant) -> dict[str, Any]:
    """Every list answer ``as_``'s read key gets (admin for keys), using ``tenant``'s ids."""
    caller = as_
    paths = [
        "/venues",
        "/layouts",
        f"/layouts?venue_id={tenant.venue_id}",
        "/events",
        f"/events/{tenant.event_id}/holds?active=false",
        f"/events/{tenant.event_id}/orders",
        f"/events/{tenant.event_id}/ticket-types",
        f"/events/{tenant.event_id}/seats/{tenant.seat_ids[0]}/history",
        f"/holds/{tenant.hold_id}/history",
        f"/layouts/{tenant.layout_id}/sections",
        f"/layouts/{tenant.layout_id}/seats",
        f"/events/{tenant.event_id}/inventory",
    ]
    answers = {}
    for path in paths:
        answer = await caller.call("GET", path, "read")
        answers[path] = (answer.status_code, answer.json())
    return answers


@pytest.mark.slow
async def test_lists_show_only_the_callers_rows(api: Api, tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    mine = await _lists(a, as_=a)
    theirs = await _lists(b, as_=b)
    ids_of_a = set().union(*(_every_id(body) for _, body in mine.values()))
    ids_of_b = set().union(*(_every_id(body) for _, body in theirs.values()))
    # Sanity: each organisation's lists are full of its own rows, and the two share none.
    assert all(status == 200 for status, _ in [*mine.values(), *theirs.values()])
    for tenant, found in ((a, ids_of_a), (b, ids_of_b)):
        assert {
            tenant.venue_id,
            tenant.layout_id,
            tenant.draft_layout_id,
            tenant.event_id,
            tenant.draft_event_id,
            tenant.hold_id,
            tenant.order_id,
            tenant.ticket_type_id,
            *tenant.seat_ids,
        } <= found
    # A's key never shows one of B's ids, on any list.
    assert not ids_of_a & ids_of_b
    # The unfiltered lists of A: none of B's rows, even with B's rows created after A's.
    for path in ("/venues", "/layouts", "/events"):
        _, body = mine[path]
        assert not _every_id(body) & ids_of_b, path
    keys = await api.client.get(
        f"/organizations/{a.organization_id}/keys", headers=bearer(a.platform)
    )
    assert {key["organization_id"] for key in keys.json()["items"]} == {a.organization_id}
    assert {key["id"] for key in keys.json()["items"]} == set(a.key_ids.values())


@pytest.mark.slow
async def test_an_idempotency_key_never_replays_another_organisations_answer(
    api: Api, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    path = f"/events/{b.event_id}/holds"
    body = hold_of(b.free_seat_ids[:1])
    first = await b.call("POST", path, "sales", json=body, headers={"Idempotency-Key": "same"})
    assert first.status_code == 201, first.text
    # The very same request under the very same key, from A: not B's stored answer.
    intruder = await a.call("POST", path, "sales", json=body, headers={"Idempotency-Key": "same"})
    assert summary(intruder) == NOT_FOUND, intruder.text
    assert "idempotent-replayed" not in intruder.headers
    assert first.json()["id"] not in intruder.text
    again = await b.call("POST", path, "sales", json=body, headers={"Idempotency-Key": "same"})
    assert (again.status_code, again.json()["id"], again.headers["idempotent-replayed"]) == (
        201,
        first.json()["id"],
        "true",
    )
