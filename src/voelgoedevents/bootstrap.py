"""The composition root: the one place that builds the engine's services.

The HTTP API, the CLI and the background sweeper all call :func:`build_services`; nothing is
built at import time, and tests build theirs with their own settings and clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from voelgoedevents.adapters.cache.feed import LocalFeed
from voelgoedevents.adapters.cache.gate import CacheGate
from voelgoedevents.adapters.cache.memory_cache import MemorySeatCache
from voelgoedevents.adapters.cache.null_cache import NullSeatCache
from voelgoedevents.adapters.cache.port import SeatCache
from voelgoedevents.adapters.cache.redis_cache import RedisSeatCache
from voelgoedevents.adapters.database.engine import create_engine, create_session_factory
from voelgoedevents.adapters.database.repositories.seat_maps import SeatMapCache
from voelgoedevents.adapters.database.uow import UnitOfWork
from voelgoedevents.clocks import system_clock
from voelgoedevents.domain.clock import Clock
from voelgoedevents.domain.ticketing.policy import SeatingPolicy
from voelgoedevents.settings import RedisSettings, Settings, load_settings

CacheMode = Literal["redis", "memory", "none"]


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cache: SeatCache
    gate: CacheGate
    feed: LocalFeed
    seat_maps: SeatMapCache
    clock: Clock = field(default=system_clock)

    @property
    def platform_policy(self) -> SeatingPolicy:
        holds = self.settings.holds
        return SeatingPolicy(
            hold_seconds=holds.default_seconds,
            max_seats_per_booking=holds.max_seats_per_booking,
            max_total_hold_seconds=holds.max_total_seconds,
        )

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    async def aclose(self) -> None:
        await self.cache.close()
        await self.engine.dispose()


def build_services(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    cache_mode: CacheMode | None = None,
) -> Services:
    """``cache_mode`` defaults to Redis when ``VOELGOED_REDIS_URL`` is set, else the in-process
    cache (embedded mode); ``none`` is the database-only mode (benchmarks compare it)."""
    settings = settings or load_settings()
    engine = create_engine(settings.database)
    sessions = create_session_factory(engine)
    feed = LocalFeed()
    mode = cache_mode or ("redis" if settings.redis.enabled else "memory")
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        cache=_cache(mode, settings.redis, feed),
        gate=CacheGate(enabled=mode != "none"),
        feed=feed,
        seat_maps=SeatMapCache(sessions),
        clock=clock or system_clock,
    )


def _cache(mode: CacheMode, settings: RedisSettings, feed: LocalFeed) -> SeatCache:
    if mode == "memory":
        return MemorySeatCache(feed)
    if mode == "none":
        return NullSeatCache(feed)
    if settings.url is None:
        raise ValueError("the redis cache mode needs VOELGOED_REDIS_URL")
    return RedisSeatCache(redis_client(settings), settings.namespace)


def redis_client(settings: RedisSettings) -> Redis | RedisCluster:
    assert settings.url is not None
    timeout = settings.socket_timeout_seconds
    # redis-py gives URL-built connections no retries unless told: a reply lost to a timeout
    # would leave the script's effects (locks) behind with nobody to answer for them.
    retry = Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.2), settings.retries)
    if settings.cluster:
        return RedisCluster.from_url(
            settings.url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            max_connections=settings.max_connections,
            retry=retry,
        )
    # A bounded pool that waits: redis-py's default pool raises once its connections are all
    # busy, which under a burst would look like Redis being down.
    pool = BlockingConnectionPool.from_url(
        settings.url,
        max_connections=settings.max_connections,
        timeout=timeout,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=retry,
    )
    return Redis.from_pool(pool)  # owns the pool: closing the client closes its connections
