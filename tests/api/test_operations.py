"""Health and metrics over HTTP: what a load balancer and Prometheus read, without credentials."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.conftest import ApiWorld
from voelgoedevents.bootstrap import CacheMode, build_services
from voelgoedevents.entrypoints.api.app import create_app
from voelgoedevents.settings import DatabaseSettings, HoldSettings, RedisSettings, load_settings

from support.api import hold_ok, reserve

DIALECTS = {"embedded": "sqlite", "redis": "postgresql", "database": "postgresql"}
CACHE_MODES = {"embedded": "memory", "redis": "redis", "database": "none"}


async def test_health_reports_database_and_cache(
    client: httpx.AsyncClient, request: pytest.FixtureRequest
) -> None:
    mode = request.node.callspec.params["hold_services"]
    answer = await client.get("/health")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["ok"] is True
    assert body["database"] == {"ok": True, "dialect": DIALECTS[mode]}
    assert (body["cache"]["ok"], body["cache"]["mode"]) == (True, CACHE_MODES[mode])
    if mode == "redis":  # any eviction could drop a lock or a bitmap
        assert body["cache"]["maxmemory_policy"] == "noeviction"


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """A local port nobody listens on: bound (so nobody else takes it), never listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@contextlib.asynccontextmanager
async def app_on(
    database_url: str, cache_mode: CacheMode, redis_url: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(
        database=DatabaseSettings(url=database_url),
        redis=RedisSettings(url=redis_url, socket_timeout_seconds=0.5, retries=0),
        holds=HoldSettings(),
    )
    services = build_services(settings, cache_mode=cache_mode)
    try:
        app = create_app(services=services, background=False)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ops") as http:
                yield http
    finally:
        await services.aclose()


async def test_health_is_503_when_redis_is_unreachable(postgres_url: str) -> None:
    with closed_port() as port:
        async with app_on(postgres_url, "redis", f"redis://127.0.0.1:{port}/0") as http:
            answer = await http.get("/health")
    assert answer.status_code == 503, answer.text
    body = answer.json()
    assert (body["ok"], body["database"]["ok"], body["cache"]["ok"]) == (False, True, False)
    assert body["cache"]["error"]


async def test_health_is_503_when_the_database_is_unreachable() -> None:
    with closed_port() as port:
        url = f"postgresql+asyncpg://nobody@127.0.0.1:{port}/nothing"
        async with app_on(url, "none") as http:
            answer = await http.get("/health")
    assert answer.status_code == 503, answer.text
    body = answer.json()
    assert (body["ok"], body["database"]["ok"], body["cache"]["ok"]) == (False, False, True)
    assert body["database"]["error"]


def metric_samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return metric_samples(answer.text)


HELD = ("voelgoed_hold_attempts_total", frozenset({("outcome", "held")}))
REFUSED = ("voelgoed_hold_attempts_total", frozenset({("outcome", "seat_unavailable")}))
LATENCY_COUNT = ("voelgoed_hold_latency_seconds_count", frozenset())
LATENCY_SUM = ("voelgoed_hold_latency_seconds_sum", frozenset())
CREATED = (
    "voelgoed_http_request_seconds_count",
    frozenset({("route", "/events/{event_id}/holds"), ("status", "201")}),
)


async def test_metrics_move_with_holds(world: ApiWorld) -> None:
    before = await scrape(world.client)
    await hold_ok(world, [world.seat_ids[0]])
    after_hold = await scrape(world.client)
    assert after_hold.get(HELD, 0) == before.get(HELD, 0) + 1
    assert after_hold[LATENCY_COUNT] == before.get(LATENCY_COUNT, 0) + 1
    assert after_hold[LATENCY_SUM] > before.get(LATENCY_SUM, 0)
    assert after_hold[CREATED] == before.get(CREATED, 0) + 1
    refused = await reserve(world, [world.seat_ids[0]])
    assert refused.status_code == 409
    after_refusal = await scrape(world.client)
    assert after_refusal[REFUSED] == after_hold.get(REFUSED, 0) + 1
    assert after_refusal[HELD] == after_hold[HELD]
    assert after_refusal[LATENCY_COUNT] == after_hold[LATENCY_COUNT] + 1
    # Every latency bucket is cumulative and ends with all the observations.
    buckets = sorted(
        (float(dict(labels)["le"]), value)
        for (name, labels), value in after_refusal.items()
        if name == "voelgoed_hold_latency_seconds_bucket"
    )
    assert [value for _, value in buckets] == sorted(value for _, value in buckets)
    assert buckets[-1] == (float("inf"), after_refusal[LATENCY_COUNT])
