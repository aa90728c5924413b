"""What every use case is given: the services contract. ``bootstrap.build_services`` fills it.

It lives with the workflows, which depend on it, so the use cases never import the composition
root: ``bootstrap.py`` depends on them, not the other way round. Tests build it with their own
settings and clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from voelgoedevents.adapters.cache.feed import LocalFeed
from voelgoedevents.adapters.cache.gate import CacheGate
from voelgoedevents.adapters.cache.port import SeatCache
from voelgoedevents.adapters.cache.redis_cache import RedisConnection
from voelgoedevents.adapters.cache.sync import CacheSync
from voelgoedevents.adapters.database.repositories.seat_maps import SeatMapCache
from voelgoedevents.adapters.database.uow import UnitOfWork
from voelgoedevents.clocks import system_clock
from voelgoedevents.domain.clock import Clock
from voelgoedevents.domain.ticketing.policy import SeatingPolicy
from voelgoedevents.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cache: SeatCache
    gate: CacheGate
    feed: LocalFeed
    seat_maps: SeatMapCache
    cache_sync: CacheSync  # what every unit of work writes to the cache after its commit
    clock: Clock = field(default=system_clock)
    # The process's Redis connection when the engine runs on Redis (cache mode "redis"): the
    # seat cache, the rate limits and the change relay share it; closing the cache closes it.
    redis: RedisConnection | None = None

    @property
    def platform_policy(self) -> SeatingPolicy:
        holds = self.settings.holds
        return SeatingPolicy(
            hold_seconds=holds.default_seconds,
            max_seats_per_booking=holds.max_seats_per_booking,
            max_total_hold_seconds=holds.max_total_seconds,
        )

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.cache_sync)

    async def aclose(self) -> None:
        await self.cache.close()
        await self.engine.dispose()
