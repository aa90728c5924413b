"""The composition root: the one place that builds the engine's services.

The HTTP API, the CLI and the background sweeper all call :func:`build_services`; nothing is
built at import time, and tests build theirs with their own settings and clock. What it builds,
:class:`Services`, is the workflows' contract (``workflows/services.py``): the root depends on
the use cases, never the reverse, and nothing below the entrypoints imports this module.
"""

from __future__ import annotations

from typing import Literal

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from voelgoedevents.adapters.cache.feed import LocalFeed
from voelgoedevents.adapters.cache.gate import CacheGate
from voelgoedevents.adapters.cache.memory_cache import MemorySeatCache
from voelgoedevents.adapters.cache.null_cache import NullSeatCache
from voelgoedevents.adapters.cache.port import SeatCache
from voelgoedevents.adapters.cache.redis_cache import RedisConnection, RedisSeatCache
from voelgoedevents.adapters.cache.sync import CacheSync
from voelgoedevents.adapters.database.engine import create_engine, create_session_factory
from voelgoedevents.adapters.database.repositories.cache_status import stale_mark_writer
from voelgoedevents.adapters.database.repositories.seat_maps import SeatMapCache
from voelgoedevents.clocks import system_clock
from voelgoedevents.domain.clock import Clock
from voelgoedevents.settings import RedisSettings, Settings, load_settings
from voelgoedevents.workflows.services import Services

CacheMode = Literal["redis", "memory", "none"]

__all__ = ["CacheMode", "Services", "build_services", "redis_client"]


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
    redis = _redis(settings.redis) if mode == "redis" else None
    cache = _cache(mode, redis, feed)
    gate = CacheGate(enabled=mode != "none")
    clock = clock or system_clock
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        cache=cache,
        gate=gate,
        feed=feed,
        seat_maps=SeatMapCache(sessions),
        cache_sync=CacheSync(cache, gate, feed, stale_mark_writer(sessions, clock)),
        clock=clock,
        redis=redis,
    )


def _redis(settings: RedisSettings) -> RedisConnection:
    if settings.url is None:
        raise ValueError("the redis cache mode needs VOELGOED_REDIS_URL")
    return RedisConnection(redis_client(settings), settings.namespace)


def _cache(mode: CacheMode, redis: RedisConnection | None, feed: LocalFeed) -> SeatCache:
    if mode == "memory":
        return MemorySeatCache(feed)
    if mode == "none":
        return NullSeatCache(feed)
    assert redis is not None
    return RedisSeatCache(redis.client, redis.namespace)


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
