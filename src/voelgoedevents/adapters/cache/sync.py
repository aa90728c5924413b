"""Write-through after commit: each committed transaction's changes go to the cache, which
also publishes them to live seat streams; a write the cache did not take leaves the event
marked stale.

The unit of work calls :meth:`CacheSync.apply` after every commit, with what the ledger
recorded, so no workflow can forget it. The database has already committed: a cache failure
here never fails the request. The event is marked stale (every process then stops trusting the
cache for it) and the sweeper rebuilds it from the database once the cache answers again.

A change the cache did not take was not published either, so live seat streams may be showing
an older map: this process's streams of the event are told to resync at once (their new map
comes from the database, the event being stale here), and every process's streams once the
event has been rebuilt (``workflows/ticketing/cache_sync.py``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence

from voelgoedevents.adapters.cache.feed import LocalFeed
from voelgoedevents.adapters.cache.gate import CacheGate
from voelgoedevents.adapters.cache.port import (
    CacheUnavailable,
    CommitBatch,
    EventKey,
    SeatCache,
    SeatRef,
)

log = logging.getLogger(__name__)

# Writes an event's stale mark to the database in its own transaction: (organization id,
# event id, reason). Raises if the database would not take it.
StaleMarkWriter = Callable[[uuid.UUID, uuid.UUID, str], Awaitable[None]]


class CacheSync:
    def __init__(
        self, cache: SeatCache, gate: CacheGate, feed: LocalFeed, write_stale_mark: StaleMarkWriter
    ) -> None:
        self.cache = cache
        self.gate = gate
        self.feed = feed
        self._write_stale_mark = write_stale_mark

    async def apply(self, event: EventKey, batch: CommitBatch) -> None:
        """Write-through: database first (done), then the cache, which also publishes the
        change and lets go of the seat locks the batch names (by their token, so never another
        request's)."""
        if not self.gate.enabled:  # no cache (database-only mode): it only feeds the stream
            await self.cache.commit(event, batch)
            return
        if self.gate.available:
            try:
                await self.cache.commit(event, batch)
                self.gate.succeeded()
                return
            except CacheUnavailable as exc:
                self.gate.failed()
                log.warning("cache write failed for event %s: %s", event.event_id, exc)
        if batch.seats or batch.standing or batch.holds_set or batch.holds_removed:
            await self.mark_stale(event, "a committed change could not be written to the cache")
            if batch.seats or batch.standing:  # never published: streams here learn it at once
                self.feed.resync(event.event_id)

    async def mark_stale(self, event: EventKey, reason: str) -> None:
        self.gate.stale.add(event.event_id)
        if not await self._record_stale(event, reason):
            # The local mark protects this process, and the sweeper writes it later: until then
            # no process rebuilds the event, and this one must not forget it meanwhile.
            self.gate.unrecorded[event.event_id] = (event.organization_id, reason)

    async def record_unrecorded_marks(self) -> None:
        """Write the stale marks this process could not write before (the sweeper calls this)."""
        for event_id, (organization_id, reason) in list(self.gate.unrecorded.items()):
            if await self._record_stale(EventKey(organization_id, event_id), reason):
                del self.gate.unrecorded[event_id]

    async def unlock_quietly(self, event: EventKey, seats: Sequence[SeatRef], token: str) -> None:
        """Let go of seat locks a request took and will not commit with. Best effort: if the
        cache is gone, the leases free the locks on their own."""
        try:
            await self.cache.unlock(event, seats, token)
        except CacheUnavailable:
            self.gate.failed()

    async def _record_stale(self, event: EventKey, reason: str) -> bool:
        try:
            await self._write_stale_mark(event.organization_id, event.event_id, reason)
        except Exception:
            log.exception("could not record event %s as stale", event.event_id)
            return False
        return True
