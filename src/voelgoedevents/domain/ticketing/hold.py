"""Hold rules: how long a hold lives, when it may be extended, sold or released."""

from __future__ import annotations

import uuid
from collections.abc import Sized
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from voelgoedevents.domain.errors import HoldExpired, HoldNotActive
from voelgoedevents.domain.ticketing.policy import SeatingPolicy
from voelgoedevents.domain.ticketing.states import HoldStatus


@dataclass(frozen=True)
class HoldSnapshot:
    id: uuid.UUID
    event_id: uuid.UUID
    status: HoldStatus
    held_until: datetime
    created_at: datetime
    holder_ref: str
    order_id: uuid.UUID | None = None

    def is_live(self, now: datetime) -> bool:
        return self.status is HoldStatus.ACTIVE and self.held_until > now


class HoldSnapshotLike(Protocol):
    """What the all-or-nothing check reads of a hold (a row or a snapshot)."""

    @property
    def seat_count(self) -> int: ...

    @property
    def held_until(self) -> datetime: ...


def held_until_for_new_hold(now: datetime, policy: SeatingPolicy) -> datetime:
    return now + policy.hold_duration


def extended_until(hold: HoldSnapshot, now: datetime, policy: SeatingPolicy) -> datetime:
    """A fresh hold time from now, capped at the hold's whole-life limit since creation."""
    ensure_live(hold, now)
    cap = hold.created_at + policy.max_hold_life
    new_until = min(now + policy.hold_duration, cap)
    if new_until <= hold.held_until:
        raise HoldNotActive(
            f"the hold cannot be extended further (it may last until {cap.isoformat()})",
            cap=cap.isoformat(),
        )
    return new_until


def ensure_live(hold: HoldSnapshot, now: datetime) -> None:
    """Sell and extend need a hold that is active and not past its time.

    A hold that expired is ``HoldExpired`` whether or not the sweeper has marked it yet (or the
    event's cancellation expired it early): one situation, one answer, before and after the
    sweep. A hold released, sold or cancelled is ``HoldNotActive``."""
    if hold.status is HoldStatus.EXPIRED:
        raise HoldExpired(
            "the hold expired", held_until=hold.held_until.isoformat(), status=hold.status.value
        )
    if hold.status is not HoldStatus.ACTIVE:
        raise HoldNotActive(f"the hold is {hold.status.value}", status=hold.status.value)
    if hold.held_until <= now:
        raise HoldExpired(
            f"the hold expired at {hold.held_until.isoformat()}",
            held_until=hold.held_until.isoformat(),
            status=HoldStatus.EXPIRED.value,
        )


def ensure_covers_its_seats(hold: HoldSnapshotLike, rows: Sized) -> None:
    """Sell and extend are all or nothing. Their ``now`` is read before they queue for the
    seats, so a hold that lapsed meanwhile may have lost a seat to a buyer who came after; the
    write then finds fewer seats than the hold covers, and the whole operation is refused."""
    if len(rows) != hold.seat_count:
        raise HoldExpired(
            f"the hold lapsed and {hold.seat_count - len(rows)} of its seats went to other "
            "buyers; hold them again",
            held_until=hold.held_until.isoformat(),
        )


def release_is_noop(hold: HoldSnapshot) -> bool:
    """Releasing twice changes nothing; a converted hold's seats are sold and stay sold."""
    if hold.status is HoldStatus.CONVERTED:
        raise HoldNotActive("the hold was sold; cancel or refund its order instead")
    return hold.status is not HoldStatus.ACTIVE


def seconds_left(held_until: datetime, now: datetime) -> int:
    return max(0, int((held_until - now) / timedelta(seconds=1)))
