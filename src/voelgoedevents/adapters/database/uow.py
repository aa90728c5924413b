"""The unit of work: one transaction per use case, rolled back unless the workflow commits."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class UnitOfWork:
    """``async with uow: ...; await uow.commit()``. Leaving the block without commit rolls back,
    so an exception anywhere (or a forgotten commit) leaves no partial rows."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its `async with` block")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed (the connection goes back to the pool
        # reset) without expiring what was read, so views can still be built from the rows.
        try:
            await self.session.close()
        finally:
            self._session = None

    async def commit(self) -> None:
        await self.session.commit()
