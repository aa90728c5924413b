"""No cache at all: database-only mode. Every claim says "cold", so workflows use the database
path; commits only feed the in-process change stream."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from voelgoedevents.adapters.cache.feed import LocalFeed
from voelgoedevents.adapters.cache.port import (
    CachedInventory,
    Claim,
    ClaimStatus,
    CommitBatch,
    EventKey,
    EventSnapshot,
    SeatRef,
    change_message,
)


class NullSeatCache:
    mode = "none"

    def __init__(self, feed: LocalFeed) -> None:
        self.feed = feed

    async def claim(
        self,
        event: EventKey,
        seats: Sequence[SeatRef],
        *,
        token: str,
        lease_ms: int,
        now: datetime,
    ) -> Claim:
        return Claim(ClaimStatus.COLD)

    async def commit(
        self, event: EventKey, batch: CommitBatch, *, force: bool = False, publish: bool = True
    ) -> None:
        if publish and (batch.seats or batch.standing):
            self.feed.publish(event.event_id, change_message(event, batch.seats, batch.standing))

    async def unlock(self, event: EventKey, seats: Sequence[SeatRef], token: str) -> None:
        return None

    async def load(self, event: EventKey, snapshot: EventSnapshot, *, force: bool = False) -> None:
        return None

    async def remove_holds(self, event: EventKey, hold_ids: Sequence[uuid.UUID]) -> None:
        return None

    async def registry(self, event: EventKey) -> set[uuid.UUID]:
        return set()

    async def read(self, event: EventKey, seat_count: int) -> CachedInventory | None:
        return None

    async def invalidate(self, event: EventKey) -> None:
        return None

    async def resync(self, event: EventKey) -> None:
        self.feed.resync(event.event_id)

    async def try_lock_rebuild(self, event: EventKey, token: str, lease_ms: int) -> bool:
        return False

    async def unlock_rebuild(self, event: EventKey, token: str) -> None:
        return None

    async def health(self) -> dict[str, object]:
        return {"ok": True, "mode": self.mode}

    async def close(self) -> None:
        return None
