"""What a transaction changed, per event, for the cache: collected by the ledger as it writes,
applied by the unit of work once the transaction has committed (and dropped if it did not)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from voelgoedevents.adapters.cache.port import (
    CommitBatch,
    EventKey,
    HoldEntry,
    SeatChange,
    SeatRef,
    StandingChange,
)


@dataclass
class EventChanges:
    """One event's share of a transaction: what its cache write will carry."""

    seats: list[SeatChange] = field(default_factory=list)
    standing: list[StandingChange] = field(default_factory=list)
    holds_set: list[HoldEntry] = field(default_factory=list)
    holds_removed: list[uuid.UUID] = field(default_factory=list)
    unlock_token: str | None = None
    unlock_seats: Sequence[SeatRef] = ()

    def batch(self) -> CommitBatch:
        return CommitBatch(
            seats=self.seats,
            standing=self.standing,
            holds_set=self.holds_set,
            holds_removed=self.holds_removed,
            unlock_token=self.unlock_token,
            unlock_seats=self.unlock_seats,
        )


class PendingChanges:
    """The cache batches of one transaction, per event, in the order the events were first
    touched (the order they are written to the cache in)."""

    def __init__(self) -> None:
        self._events: dict[EventKey, EventChanges] = {}

    def of(self, event: EventKey) -> EventChanges:
        return self._events.setdefault(event, EventChanges())

    def take(self) -> list[tuple[EventKey, CommitBatch]]:
        """The batches, emptying the collection (a unit of work may commit more than once)."""
        events, self._events = self._events, {}
        return [(event, changes.batch()) for event, changes in events.items()]

    def clear(self) -> None:
        self._events = {}
