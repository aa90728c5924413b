"""Chaos fixtures: a private redis-server per test (never the shared one), and services that
talk to it over PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from voelgoedevents.bootstrap import Services, build_services
from voelgoedevents.domain.clock import Clock
from voelgoedevents.settings import DatabaseSettings, HoldSettings, RedisSettings, load_settings

from support.chaos import RedisServer

NAMESPACE = "chaos"


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, on a free port; stopped even if the test fails."""
    with RedisServer(tmp_path / "redis") as server:
        yield server


@pytest.fixture
async def redis_services(
    pg_services: Services, postgres_url: str
) -> AsyncIterator[Callable[..., Services]]:
    """Build services on the test database and a given Redis URL; closed at the end, before
    ``pg_services`` truncates the tables."""
    built: list[Services] = []

    def build(redis_url: str, clock: Clock, **redis: object) -> Services:
        settings = load_settings(
            database=DatabaseSettings(url=postgres_url, pool_size=5, max_overflow=10),
            redis=RedisSettings(url=redis_url, namespace=NAMESPACE, **redis),  # type: ignore[arg-type]
            holds=HoldSettings(),
        )
        services = build_services(settings, clock=clock, cache_mode="redis")
        built.append(services)
        return services

    try:
        yield build
    finally:
        for services in built:
            await services.aclose()
