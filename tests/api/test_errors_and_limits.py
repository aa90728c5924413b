"""Cross-cutting HTTP behaviour: every refusal is a problem+json with a stable code, malformed
requests never get a 500, bodies over the limit get 413 (declared or chunked), and the rate
limit per API key (shared through Redis between servers in Redis mode)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from api.conftest import ApiWorld
from voelgoedevents.bootstrap import Services
from voelgoedevents.entrypoints.api.app import create_app
from voelgoedevents.settings import ApiSettings

from support.api import HTTP_LAYER_ONLY, Unchanged, assert_problem, error_fields, reserve
from support.live import serve

LIMIT = 1_000_000  # the default max_body_bytes


def never_500(answer: httpx.Response) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == "application/problem+json", answer.text
        assert_problem(answer, answer.status_code, answer.json()["code"])


@HTTP_LAYER_ONLY
async def test_malformed_bodies_are_refused_clearly(
    world: ApiWorld, hold_services: Services
) -> None:
    sales = {**world.headers("sales"), "content-type": "application/json"}
    path = f"/events/{world.event_id}/holds"
    valid = json.dumps({"seat_ids": [world.seat_ids[0]], "holder_ref": "a"}).encode()
    async with Unchanged(hold_services, world):
        syntax = await world.client.post(path, content=b'{"seat_ids": [', headers=sales)
        problem = assert_problem(syntax, 422, "invalid_input")
        assert error_fields(problem) == {"body"} and "character 14" in problem["detail"]
        for content in (b"[1, 2]", b"null", b'"hold"', b"", b"{}"):
            answer = await world.client.post(path, content=content, headers=sales)
            assert_problem(answer, 422, "invalid_input")
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "image/png"):
            answer = await world.client.post(
                path, content=valid, headers={**sales, "content-type": content_type}
            )
            assert_problem(answer, 422, "invalid_input")
        for content in (
            '{"holder_ref": "\xe9"}'.encode("latin-1"),  # not UTF-8
            b"[" * 100_000 + b"]" * 100_000,  # nested past the parser's depth
            b'{"quantity": 1' + b"0" * 5_000 + b"}",  # an integer too long to parse
        ):
            never_500(await world.client.post(path, content=content, headers=sales))


@HTTP_LAYER_ONLY
async def test_a_body_that_is_not_sent_as_json_is_told_so(
    world: ApiWorld, hold_services: Services
) -> None:
    """A JSON-looking body under another Content-Type (or none) is not parsed: the 422 says the
    body must be application/json, not that the unparsed bytes are not an object."""
    hold = (await reserve(world, [world.seat_ids[0]])).json()
    valid = json.dumps({"seat_ids": [world.seat_ids[1]], "holder_ref": "a"}).encode()
    targets = [
        (f"/events/{world.event_id}/holds", valid),  # a required body
        (f"/holds/{hold['id']}/release", b'{"seat_ids": []}'),  # an optional one (a union)
        ("/venues", b'{"name": "Hall"}'),
    ]
    async with Unchanged(hold_services, world):
        for path, content in targets:
            for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
                headers = world.headers("admin")
                if content_type:
                    headers["content-type"] = content_type
                answer = await world.client.post(path, content=content, headers=headers)
                problem = assert_problem(answer, 422, "invalid_input")
                assert problem["errors"] == [
                    {
                        "field": "body",
                        "reason": "must be JSON, sent with Content-Type: application/json",
                    }
                ], (path, content_type, problem)
                assert problem["detail"] == "body: " + problem["errors"][0]["reason"]
    # JSON under a JSON media type is read as such.
    made = await world.client.post(
        "/venues",
        content=b'{"name": "Hall"}',
        headers={**world.headers("admin"), "content-type": "application/json; charset=utf-8"},
    )
    assert made.status_code == 201, made.text


@HTTP_LAYER_ONLY
async def test_validation_names_the_field(world: ApiWorld) -> None:
    hold = (await reserve(world, [world.seat_ids[0]])).json()
    cases = [
        ("POST", f"/holds/{hold['id']}/release", {"quantity": 0}, "quantity"),
        ("POST", f"/holds/{hold['id']}/release", {"seat_ids": ["x"]}, "seat_ids.0"),
        ("POST", f"/holds/{hold['id']}/release", {"everything": True}, "everything"),
        ("POST", f"/events/{world.event_id}/holds", {"holder_ref": "a" * 201}, "holder_ref"),
        ("POST", f"/events/{world.event_id}/holds", {"holder_ref": "a", "source": "fax"}, "source"),
        ("POST", f"/orders/{hold['id']}/cancel", {"reason": "r" * 101}, "reason"),
    ]
    for method, path, body, field in cases:
        answer = await world.call(method, path, "admin", json=body)
        problem = assert_problem(answer, 422, "invalid_input")
        assert field in error_fields(problem), (path, body, problem)
        assert problem["detail"].startswith(problem["errors"][0]["field"] + ":")


@HTTP_LAYER_ONLY
async def test_ids_and_routes_that_do_not_parse(world: ApiWorld, hold_services: Services) -> None:
    async with Unchanged(hold_services, world):
        for path in (
            "/holds/not-a-uuid",
            "/holds/%00",
            "/events/123/inventory",
            "/holds/" + "9" * 5000,
        ):
            answer = await world.call("GET", path, "read")
            problem = assert_problem(answer, 422, "invalid_input")
            assert error_fields(problem) <= {"path.hold_id", "path.event_id"}, problem
        for method, path in (
            ("POST", "/orders/x/cancel"),
            ("DELETE", f"/events/{world.event_id}/holds"),
        ):
            never_500(await world.call(method, path))
        assert_problem(
            await world.call("DELETE", f"/holds/{world.seat_ids[0]}"), 405, "method_not_allowed"
        )
        assert_problem(await world.call("GET", "/nowhere"), 404, "not_found")


@HTTP_LAYER_ONLY
async def test_garbage_headers(world: ApiWorld, hold_services: Services) -> None:
    path = f"/events/{world.event_id}/holds"
    token = world.keys["sales"].encode()
    async with Unchanged(hold_services, world):
        for authorization in (
            b"Basic abc",
            b"Bearer",
            b"Bearer vg_aaaaaaaaaaaa_\xff\xfe",
            b"Bearer vg_" + "\xe9".encode("latin-1") * 12 + b"_abc",
            b"Bearer " + b"x" * 20_000,
            b"Bearer " + token + b"\x00",
        ):
            answer = await world.client.post(
                path, json={}, headers=[(b"authorization", authorization)]
            )
            assert_problem(answer, 401, "unauthenticated")
    # With a good key, odd headers may or may not spoil the request; they never break us.
    odd = [
        (b"content-length", b"abc"),
        (b"content-length", b"-5"),
        (b"content-length", b"99999999999999999999999"),
        (b"content-type", b"application/json; charset=klingon"),
        (b"content-type", b"\xff\xfe"),
        (b"idempotency-key", b"\xff" * 10),
        (b"accept", b"\x00\x01"),
    ]
    for seat, header in zip(world.seat_ids[4:], odd, strict=False):
        body = json.dumps({"seat_ids": [seat], "holder_ref": "a"}).encode()
        headers = [(b"authorization", b"Bearer " + token), header]
        never_500(await world.client.post(path, content=body, headers=headers))


async def test_every_selling_route_survives_garbage(world: ApiWorld) -> None:
    hold = (await reserve(world, [world.seat_ids[0]])).json()
    sold = (await reserve(world, [world.seat_ids[1]])).json()
    order = (await world.call("POST", f"/holds/{sold['id']}/order", "sales")).json()
    routes = [
        f"/events/{world.event_id}/holds",
        f"/holds/{hold['id']}/extend",
        f"/holds/{hold['id']}/release",
        f"/holds/{hold['id']}/order",
        f"/orders/{order['id']}/cancel",
    ]
    garbage: list[dict[str, Any]] = [
        {"content": b"\x00\x01\x02", "headers": {"content-type": "application/json"}},
        {"content": b"{" * 5000, "headers": {"content-type": "application/json"}},
        {"json": {"seat_ids": "all", "quantity": "lots", "refund": [], "reason": {}}},
        {"json": {"seat_ids": [None], "quantity": 1e308}},
        {"json": [[[]]]},
        {"content": b"seat_ids=1", "headers": {"content-type": "multipart/form-data"}},
    ]
    for path in routes:
        for case in garbage:
            headers = {**world.headers("admin"), **case.get("headers", {})}
            rest = {k: v for k, v in case.items() if k != "headers"}
            never_500(await world.client.post(path, headers=headers, **rest))


# --- bodies over the limit ------------------------------------------------------------------


def oversized(world: ApiWorld) -> bytes:
    return json.dumps({"seat_ids": [world.seat_ids[0]], "holder_ref": "a" * (LIMIT + 10)}).encode()


async def chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


async def assert_too_large(http: httpx.AsyncClient, world: ApiWorld) -> None:
    path = f"/events/{world.event_id}/holds"
    headers = {**world.headers("sales"), "content-type": "application/json"}
    body = oversized(world)
    for extra in ({}, {"idempotency-key": "big-1"}):
        declared = await http.post(path, content=body, headers={**headers, **extra})
        assert_problem(declared, 413, "payload_too_large")
        chunked = await http.post(path, content=chunks(body), headers={**headers, **extra})
        assert "content-length" not in chunked.request.headers
        assert chunked.request.headers["transfer-encoding"] == "chunked"
        assert_problem(chunked, 413, "payload_too_large")


@HTTP_LAYER_ONLY
async def test_bodies_over_the_limit_get_413(world: ApiWorld, hold_services: Services) -> None:
    async with Unchanged(hold_services, world):
        await assert_too_large(world.client, world)


@HTTP_LAYER_ONLY
async def test_bodies_over_the_limit_get_413_from_a_real_server(
    world: ApiWorld, hold_services: Services
) -> None:
    """The same through uvicorn, where chunked bodies are real transfer-encoding."""
    app = create_app(services=hold_services, background=False)
    async with (
        Unchanged(hold_services, world),
        serve(app, hold_services) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        await assert_too_large(http, world)


# --- rate limits --------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def limited_client(services: Services, per_second: int) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own (its own limiter) on the test's services, with a low rate limit."""
    settings = dataclasses.replace(
        services.settings, api=ApiSettings(rate_limit_per_second=per_second)
    )
    app = create_app(services=dataclasses.replace(services, settings=settings), background=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://limited") as http:
            yield http


async def in_one_second(*sends: Callable[[], Awaitable[httpx.Response]]) -> list[httpx.Response]:
    """Send these in order within one wall-clock second (the limiter's window), starting just
    after a second begins; tried again if a second boundary still fell inside."""
    for _ in range(5):
        await asyncio.sleep(1.01 - time.time() % 1)
        second = int(time.time())
        answers = [await send() for send in sends]
        if int(time.time()) == second:
            return answers
    raise AssertionError("five tries, and the requests never fitted in one second")


async def test_rate_limit_per_key(world: ApiWorld, hold_services: Services) -> None:
    inventory = f"/events/{world.event_id}/inventory"
    async with limited_client(hold_services, 3) as http:

        def get(role: str) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: http.get(inventory, headers=world.headers(role))

        def hold() -> Awaitable[httpx.Response]:
            return http.post(
                f"/events/{world.event_id}/holds",
                headers={**world.headers("sales"), "Idempotency-Key": "limited"},
                json={"seat_ids": [world.seat_ids[0]], "holder_ref": "a"},
            )

        async with Unchanged(hold_services, world):
            answers = await in_one_second(
                get("sales"), get("sales"), get("sales"), hold, get("read")
            )
        assert [a.status_code for a in answers] == [200, 200, 200, 429, 200]
        assert_problem(answers[3], 429, "rate_limited")
        assert answers[3].headers["retry-after"] == "1"
        # The refused write was not stored under its key: in a later second it runs.
        later = (await in_one_second(hold))[0]
        assert later.status_code == 201 and "idempotent-replayed" not in later.headers


async def test_two_servers_share_the_limit_in_redis_mode(
    world: ApiWorld, hold_services: Services, request: pytest.FixtureRequest
) -> None:
    inventory = f"/events/{world.event_id}/inventory"
    headers = world.headers("read")
    async with limited_client(hold_services, 3) as one, limited_client(hold_services, 3) as two:
        sends = [lambda http=http: http.get(inventory, headers=headers) for http in (one, two) * 2]
        answers = await in_one_second(*sends)
    statuses = [a.status_code for a in answers]
    if request.node.callspec.params["hold_services"] == "redis":
        assert statuses == [200, 200, 200, 429]  # one count in Redis for the key
    else:
        assert statuses == [200, 200, 200, 200]  # each process counts its own
