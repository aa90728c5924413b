"""The composition root: the one place that builds the engine's services.

The HTTP API, the CLI and the background sweeper all call :func:`build_services`; nothing is
built at import time, and tests build theirs with their own settings and clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from voelgoedevents.adapters.database.engine import create_engine, create_session_factory
from voelgoedevents.adapters.database.uow import UnitOfWork
from voelgoedevents.domain.clock import Clock
from voelgoedevents.domain.ticketing.policy import SeatingPolicy
from voelgoedevents.settings import Settings, load_settings


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
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
        await self.engine.dispose()


def build_services(settings: Settings | None = None, *, clock: Clock | None = None) -> Services:
    settings = settings or load_settings()
    engine = create_engine(settings.database)
    return Services(
        settings=settings,
        engine=engine,
        sessions=create_session_factory(engine),
        clock=clock or system_clock,
    )
