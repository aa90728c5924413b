"""What a reserve request may ask for, checked before anything is locked or read."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from voelgoedevents.domain.errors import InvalidInput
from voelgoedevents.domain.ticketing.policy import SeatingPolicy
from voelgoedevents.domain.ticketing.states import HoldSource

HolderRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ReserveRequest(BaseModel):
    """Specific seats, or a quantity of a standing section: all of it under one hold, or none."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seat_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=100)
    section_id: uuid.UUID | None = None
    quantity: int | None = Field(default=None, ge=1, le=100)
    holder_ref: HolderRef
    source: HoldSource = HoldSource.WEB
    idempotency_key: IdempotencyKey | None = None

    @model_validator(mode="after")
    def _seats_or_standing(self) -> ReserveRequest:
        wants_seats = self.seat_ids is not None
        wants_standing = self.section_id is not None or self.quantity is not None
        if wants_seats == wants_standing:
            raise ValueError("ask for seat_ids, or for a section_id with a quantity")
        if wants_standing and (self.section_id is None or self.quantity is None):
            raise ValueError("a standing hold needs both section_id and quantity")
        if self.seat_ids is not None and len(set(self.seat_ids)) != len(self.seat_ids):
            raise ValueError("seat_ids lists a seat twice")
        return self

    @property
    def size(self) -> int:
        return len(self.seat_ids) if self.seat_ids is not None else self.quantity or 0

    def ensure_within(self, policy: SeatingPolicy) -> None:
        if self.size > policy.max_seats_per_booking:
            raise InvalidInput(
                f"at most {policy.max_seats_per_booking} seats per booking (asked for {self.size})",
                field="seat_ids" if self.seat_ids is not None else "quantity",
            )

    def fingerprint(self, event_id: uuid.UUID) -> str:
        """Stored on the hold: a retry with the same idempotency key must ask for the same thing."""
        if self.seat_ids is not None:
            what = "seats:" + ",".join(sorted(str(seat_id) for seat_id in self.seat_ids))
        else:
            what = f"standing:{self.section_id}:{self.quantity}"
        return hashlib.sha256(f"{event_id}|{what}".encode()).hexdigest()
