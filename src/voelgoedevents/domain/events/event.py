"""The event lifecycle and the on-sale rule.

On sale = (``published`` or ``live``, or ``postponed`` with ``rescheduled_at`` set) and ``now`` is
inside the sale window. Time is always an argument, never read here.

A postponed event that gets its new date goes back to ``published`` (``rescheduled_at`` says when
it was rescheduled): its status says what it is, an event that sells. Events rescheduled before
that stayed ``postponed`` with ``rescheduled_at`` set; they are stored so still, sell as before,
and report and move as the ``published`` events they are (``current_status``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from voelgoedevents.domain.errors import InvalidInput, InvalidTransition
from voelgoedevents.domain.fields import PLAIN, Count, Instant, JsonObject


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"
    ARCHIVED = "archived"


_TRANSITIONS: dict[EventStatus, frozenset[EventStatus]] = {
    EventStatus.DRAFT: frozenset({EventStatus.PUBLISHED, EventStatus.CANCELLED}),
    EventStatus.PUBLISHED: frozenset(
        {EventStatus.LIVE, EventStatus.POSTPONED, EventStatus.CANCELLED, EventStatus.ENDED}
    ),
    EventStatus.LIVE: frozenset({EventStatus.ENDED, EventStatus.POSTPONED, EventStatus.CANCELLED}),
    EventStatus.POSTPONED: frozenset(
        {EventStatus.PUBLISHED, EventStatus.LIVE, EventStatus.CANCELLED}
    ),
    EventStatus.ENDED: frozenset({EventStatus.ARCHIVED}),
    EventStatus.CANCELLED: frozenset({EventStatus.ARCHIVED}),
    EventStatus.ARCHIVED: frozenset(),
}

SELLING_STATUSES = frozenset({EventStatus.PUBLISHED, EventStatus.LIVE})


def current_status(stored: EventStatus, rescheduled_at: datetime | None) -> EventStatus:
    """What an event is: a stored ``postponed`` with a new date (rescheduled before reschedules
    republished) is ``published``."""
    if stored is EventStatus.POSTPONED and rescheduled_at is not None:
        return EventStatus.PUBLISHED
    return stored


def rescheduled(current: EventStatus) -> EventStatus:
    """The status a reschedule gives: only a postponed event (without a new date yet) gets one,
    and it is published again."""
    if current is not EventStatus.POSTPONED:
        raise InvalidTransition(
            f"only a postponed event can be rescheduled (this one is {current.value})",
            current=current.value,
            target="rescheduled",
        )
    return EventStatus.PUBLISHED


def transition_event(current: EventStatus, target: EventStatus) -> EventStatus:
    if target not in _TRANSITIONS[current]:
        raise InvalidTransition(
            f"a {current.value} event cannot become {target.value}",
            current=current.value,
            target=target.value,
        )
    return target


@dataclass(frozen=True)
class EventSchedule:
    start_at: datetime
    end_at: datetime
    sale_start_at: datetime | None = None
    sale_end_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("start_at", "end_at", "sale_start_at", "sale_end_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise InvalidInput(f"{name} must carry a time zone", field=name)
        if not self.start_at < self.end_at:
            raise InvalidInput("start_at must be before end_at", field="end_at")
        if self.sale_start_at and self.sale_end_at and not self.sale_start_at < self.sale_end_at:
            raise InvalidInput("sale_start_at must be before sale_end_at", field="sale_end_at")
        if self.sale_end_at and self.sale_end_at > self.end_at:
            raise InvalidInput("sales cannot end after the event ends", field="sale_end_at")

    @property
    def effective_sale_end(self) -> datetime:
        """Without an explicit end, sales close when the event ends."""
        return self.sale_end_at or self.end_at


@dataclass(frozen=True)
class EventSaleState:
    """What the on-sale rule needs to know about an event."""

    status: EventStatus
    schedule: EventSchedule
    rescheduled_at: datetime | None = None

    def why_not_on_sale(self, now: datetime) -> str | None:
        """``None`` if the event is on sale at ``now``; otherwise the reason, for the caller."""
        if self.status is EventStatus.POSTPONED and self.rescheduled_at is None:
            return "the event is postponed and has no new date yet"
        if self.status not in SELLING_STATUSES and self.status is not EventStatus.POSTPONED:
            return f"the event is {self.status.value}"
        start = self.schedule.sale_start_at
        if start is not None and now < start:
            return f"sales open at {start.isoformat()}"
        if now >= self.schedule.effective_sale_end:
            return "sales have closed"
        return None

    def is_on_sale(self, now: datetime) -> bool:
        return self.why_not_on_sale(now) is None


class EventSpec(BaseModel):
    """A new event. Seated events name an active layout of the venue; general-admission-only
    events have no layout and state their capacity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    venue_id: UUID
    layout_id: UUID | None = None
    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PLAIN
    ]
    description: Annotated[str, StringConstraints(max_length=5_000), PLAIN] = ""
    start_at: Instant
    end_at: Instant
    sale_start_at: Instant | None = None
    sale_end_at: Instant | None = None
    capacity: Count | None = Field(
        default=None, description="General admission only; a seated event takes its layout's."
    )
    settings: JsonObject = Field(default_factory=dict)

    @property
    def schedule(self) -> EventSchedule:
        """Raises InvalidInput when the dates are out of order."""
        return EventSchedule(self.start_at, self.end_at, self.sale_start_at, self.sale_end_at)
