"""The seat cache in this process's memory: embedded mode (one process, no Redis).

Same contract as the Redis scripts (atomic claims, version-guarded commits, leases), so the
workflows cannot tell the difference. A claim is decided by the domain's claimability rule
(``domain/ticketing/claimability.py``), which ``claim.lua`` mirrors in Lua. Everything here
runs without awaiting in between, which on one event loop makes each method as atomic as a Lua
script.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from voelgoedevents.adapters.cache.feed import LocalFeed
from voelgoedevents.adapters.cache.port import (
    CODE_STATES,
    STATE_CODES,
    CachedInventory,
    Claim,
    ClaimStatus,
    CommitBatch,
    EventKey,
    EventSnapshot,
    SeatRef,
    deadline_ms,
    pack_states,
)
from voelgoedevents.domain.ticketing.claimability import ClaimOutcome, SeatSlot, judge_claim
from voelgoedevents.domain.ticketing.states import SeatState


@dataclass
class _Event:
    ready: bool = False
    seat_count: int = 0
    states: dict[int, SeatState] = field(default_factory=dict)
    versions: dict[int, int] = field(default_factory=dict)
    until: dict[int, datetime | None] = field(default_factory=dict)
    standing: dict[uuid.UUID, tuple[int, int, int]] = field(default_factory=dict)
    holds: dict[uuid.UUID, datetime] = field(default_factory=dict)
    locks: dict[uuid.UUID, tuple[str, float]] = field(default_factory=dict)  # seat -> owner


class MemorySeatCache:
    mode = "memory"

    def __init__(self, feed: LocalFeed) -> None:
        self.feed = feed
        self._events: dict[uuid.UUID, _Event] = {}
        self._rebuild_locks: dict[uuid.UUID, tuple[str, float]] = {}

    def _event(self, event: EventKey) -> _Event:
        return self._events.setdefault(event.event_id, _Event())

    async def claim(
        self,
        event: EventKey,
        seats: Sequence[SeatRef],
        *,
        token: str,
        lease_ms: int,
        now: datetime,
    ) -> Claim:
        state = self._event(event)
        if not state.ready:
            return Claim(ClaimStatus.COLD)
        clock = time.monotonic()
        verdict = judge_claim(
            {seat.index: self._slot(state, seat, clock) for seat in seats}, token=token, now=now
        )
        if verdict.outcome is ClaimOutcome.UNAVAILABLE:
            return Claim(ClaimStatus.UNAVAILABLE, unavailable=verdict.unavailable)
        if verdict.outcome is ClaimOutcome.BUSY:
            return Claim(ClaimStatus.BUSY)
        for seat in seats:
            state.locks[seat.seat_id] = (token, clock + lease_ms / 1000)
        return Claim(ClaimStatus.CLAIMED, versions=verdict.fences, observed=verdict.before)

    @staticmethod
    def _slot(state: _Event, seat: SeatRef, clock: float) -> SeatSlot:
        """The seat as the claim rule sees it; a lock whose lease ran out is no lock (Redis
        lets such a key expire)."""
        owner = state.locks.get(seat.seat_id)
        return SeatSlot(
            state=state.states.get(seat.index, SeatState.AVAILABLE),
            version=state.versions.get(seat.index, 0),
            held_until=state.until.get(seat.index),
            locked_by=owner[0] if owner and owner[1] > clock else None,
        )

    async def commit(
        self, event: EventKey, batch: CommitBatch, *, force: bool = False, publish: bool = True
    ) -> None:
        state = self._event(event)
        seats, standing, older = [], [], 0
        for change in batch.seats:
            current = state.versions.get(change.index, 0)
            if change.version > current or (force and change.version == current):
                state.versions[change.index] = change.version
                state.states[change.index] = change.state
                state.until[change.index] = change.held_until
                seats.append(
                    [
                        change.index,
                        STATE_CODES[change.state],
                        change.version,
                        deadline_ms(change.held_until),
                    ]
                )
            elif change.version < current:
                older += 1
        for area in batch.standing:
            current = state.standing.get(area.section_id, (0, 0, 0))[2]
            if area.version > current or (force and area.version == current):
                state.standing[area.section_id] = (area.used, area.capacity, area.version)
                standing.append([str(area.section_id), area.used, area.capacity, area.version])
        if not older:  # older seat changes only: as in commit.lua
            state.holds.update({entry.hold_id: entry.held_until for entry in batch.holds_set})
        for hold_id in batch.holds_removed:
            state.holds.pop(hold_id, None)
        if batch.unlock_token:
            self._unlock(state, batch.unlock_seats, batch.unlock_token)
        if publish and (seats or standing):
            self.feed.publish(
                event.event_id,
                {
                    "event": str(event.event_id),
                    "seats": seats,
                    "standing": standing,
                },
            )

    async def unlock(self, event: EventKey, seats: Sequence[SeatRef], token: str) -> None:
        self._unlock(self._event(event), seats, token)

    @staticmethod
    def _unlock(state: _Event, seats: Sequence[SeatRef], token: str) -> None:
        for seat in seats:
            owner = state.locks.get(seat.seat_id)
            if owner and owner[0] == token:
                del state.locks[seat.seat_id]

    async def load(self, event: EventKey, snapshot: EventSnapshot, *, force: bool = False) -> None:
        await self.commit(
            event,
            CommitBatch(seats=snapshot.seats, standing=snapshot.standing),
            force=force,
            publish=False,
        )
        await self.commit(event, CommitBatch(holds_set=snapshot.holds), publish=False)
        state = self._event(event)
        state.ready, state.seat_count = True, snapshot.seat_count

    async def remove_holds(self, event: EventKey, hold_ids: Sequence[uuid.UUID]) -> None:
        for hold_id in hold_ids:
            self._event(event).holds.pop(hold_id, None)

    async def registry(self, event: EventKey) -> set[uuid.UUID]:
        return set(self._event(event).holds)

    async def read(self, event: EventKey, seat_count: int) -> CachedInventory | None:
        state = self._event(event)
        if not state.ready:
            return None
        return CachedInventory(
            states=pack_states(state.states, seat_count),
            versions={index: version for index, version in state.versions.items() if version},
            standing=dict(state.standing),
            holds=dict(state.holds),
        )

    async def invalidate(self, event: EventKey) -> None:
        self._event(event).ready = False

    async def resync(self, event: EventKey) -> None:
        self.feed.resync(event.event_id)

    async def try_lock_rebuild(self, event: EventKey, token: str, lease_ms: int) -> bool:
        owner = self._rebuild_locks.get(event.event_id)
        if owner and owner[1] > time.monotonic():
            return False
        self._rebuild_locks[event.event_id] = (token, time.monotonic() + lease_ms / 1000)
        return True

    async def unlock_rebuild(self, event: EventKey, token: str) -> None:
        owner = self._rebuild_locks.get(event.event_id)
        if owner and owner[0] == token:
            del self._rebuild_locks[event.event_id]

    async def health(self) -> dict[str, object]:
        return {"ok": True, "mode": self.mode}

    async def close(self) -> None:
        self._events.clear()


__all__ = ["CODE_STATES", "MemorySeatCache"]
