"""The unit of work: one transaction per use case, rolled back unless the workflow commits."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from voelgoedevents.domain.errors import Busy

# deadlock_detected, serialization_failure, lock_not_available: the database refused to wait,
# nothing was written; the caller may simply try again.
RETRYABLE_SQLSTATES = {"40P01", "40001", "55P03"}
# The server is not taking connections right now: shutting down, starting up, out of slots
# (with class 08, connection exceptions).
UNREACHABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}


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
        if isinstance(exc, DBAPIError) and _retryable(exc):
            raise Busy("the database is busy with the same seats; try again") from exc
        if exc is not None and _unreachable(exc):
            raise Busy("the database is not answering right now; try again") from exc

    async def commit(self) -> None:
        await self.session.commit()


def _retryable(exc: DBAPIError) -> bool:
    for error in (exc.orig, getattr(exc.orig, "__cause__", None)):
        if getattr(error, "sqlstate", None) in RETRYABLE_SQLSTATES:
            return True
    return "database is locked" in str(exc.orig)  # SQLite past its busy timeout


def _unreachable(exc: BaseException) -> bool:
    """The database could not be reached: the connection was refused, timed out or dropped
    (a restart, a failover), or the server turned it away. Like a lock it would not wait for, a
    moment's trouble a retry gets past, not a fault of ours."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig if exc.orig is not None else exc
    if isinstance(exc, OSError):  # refused, unreachable, timed out (asyncpg's connect)
        return True
    for error in (exc, exc.__cause__):
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str) and (state.startswith("08") or state in UNREACHABLE_SQLSTATES):
            return True
    return False
