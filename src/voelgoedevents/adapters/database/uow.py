"""The unit of work: one transaction per use case, rolled back unless the workflow commits.

It hands out what a workflow may use inside its transaction: the inventory ledger (the one
writer of seat state, ``ledger/``), and repositories to read with. After a commit it writes what
the ledger changed to the cache itself (``AfterCommit``, the cache sync), so no workflow can
forget to; after a rollback that batch is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from voelgoedevents.adapters.cache.port import CommitBatch, EventKey, SeatRef
from voelgoedevents.adapters.database.ledger import Ledger, PendingChanges
from voelgoedevents.adapters.database.repositories.cache_status import CacheMarks
from voelgoedevents.adapters.database.repositories.events import Events
from voelgoedevents.adapters.database.repositories.inventory import InventoryReads
from voelgoedevents.domain.errors import Busy

# deadlock_detected, serialization_failure, lock_not_available: the database refused to wait,
# nothing was written; the caller may simply try again.
RETRYABLE_SQLSTATES = {"40P01", "40001", "55P03"}
# The server is not taking connections right now: shutting down, starting up, out of slots
# (with class 08, connection exceptions).
UNREACHABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}


class AfterCommit(Protocol):
    """Writes one event's committed changes to the cache (``adapters/cache/sync.py``)."""

    async def apply(self, event: EventKey, batch: CommitBatch) -> None: ...


class UnitOfWork:
    """``async with uow: ...; await uow.commit()``. Leaving the block without commit rolls back,
    so an exception anywhere (or a forgotten commit) leaves no partial rows, and no cache
    write."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], after_commit: AfterCommit
    ) -> None:
        self._session_factory = session_factory
        self._after_commit = after_commit
        self._session: AsyncSession | None = None
        self._pending = PendingChanges()

    @property
    def session(self) -> AsyncSession:
        """The raw session, for the workflows that do not touch inventory (layouts, tenancy,
        keys, listings). Ticketing workflows use ``ledger`` and the repositories below, which
        an architecture test holds them to."""
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its `async with` block")
        return self._session

    @property
    def ledger(self) -> Ledger:
        """The one writer of seat state, standing places, their audit rows and holds' and
        orders' status."""
        return Ledger(self.session, self._pending)

    @property
    def inventory(self) -> InventoryReads:
        return InventoryReads(self.session)

    @property
    def events(self) -> Events:
        return Events(self.session)

    @property
    def cache_marks(self) -> CacheMarks:
        return CacheMarks(self.session)

    def unlock_after_commit(self, event: EventKey, seats: Sequence[SeatRef], token: str) -> None:
        """Let the cache's seat locks taken with ``token`` go with this transaction's cache
        write (a rollback leaves them to their owner, or to their lease)."""
        changes = self._pending.of(event)
        changes.unlock_token, changes.unlock_seats = token, seats

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        self._pending.clear()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed (the connection goes back to the pool
        # reset) without expiring what was read, so views can still be built from the rows.
        self._pending.clear()
        try:
            await self.session.close()
        finally:
            self._session = None
        if isinstance(exc, DBAPIError) and _retryable(exc):
            raise Busy("the database is busy with the same seats; try again") from exc
        if exc is not None and _unreachable(exc):
            raise Busy("the database is not answering right now; try again") from exc

    async def commit(self) -> None:
        """Commit, then write what the ledger changed to the cache, event by event (in the
        order they were first changed). A cache failure never fails the commit: the event is
        marked stale instead (see the cache sync)."""
        await self.session.commit()
        for event, batch in self._pending.take():
            await self._after_commit.apply(event, batch)


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
