"""The API's public shapes: built from the workflows' views, never from tables.

Request bodies reuse the domain's specs where they exist (they already say what is valid);
everything the API answers is declared here, so the OpenAPI document is the contract.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from voelgoedevents.domain.fields import PLAIN, Instant
from voelgoedevents.domain.ticketing.states import HoldSource

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Out, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null: the end."
    )


class OrganizationOut(Out):
    id: uuid.UUID
    name: str
    slug: str
    status: str
    settings: dict[str, Any]
    created_at: datetime


class ApiKeyOut(Out):
    id: uuid.UUID
    organization_id: uuid.UUID | None
    name: str
    prefix: str
    role: str
    created_at: datetime
    revoked_at: datetime | None


class NewApiKeyOut(BaseModel):
    key: ApiKeyOut
    token: str = Field(description="Shown once. Send as `Authorization: Bearer <token>`.")


class VenueOut(Out):
    id: uuid.UUID
    name: str
    address: str
    city: str
    country: str
    postal_code: str
    timezone: str
    capacity: int
    settings: dict[str, Any]
    status: str
    created_at: datetime


class LayoutOut(Out):
    id: uuid.UUID
    venue_id: uuid.UUID
    name: str
    description: str
    status: str
    version: int
    lineage_id: uuid.UUID
    total_capacity: int
    seat_count: int
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class BlockOut(Out):
    id: uuid.UUID
    name: str
    capacity: int
    metadata: dict[str, Any]


class SectionOut(Out):
    id: uuid.UUID
    name: str
    section_type: str
    capacity: int
    price_tier: str | None
    metadata: dict[str, Any]
    blocks: list[BlockOut]


class SeatOut(Out):
    id: uuid.UUID
    index: int = Field(description="The seat's bit in every event map of this layout.")
    section_id: uuid.UUID
    block_id: uuid.UUID
    row: str
    number: str
    x: float
    y: float
    category: str
    status: str


class EventOut(Out):
    id: uuid.UUID
    venue_id: uuid.UUID
    layout_id: uuid.UUID | None
    name: str
    description: str
    status: str
    start_at: datetime
    end_at: datetime
    sale_start_at: datetime | None
    sale_end_at: datetime | None
    rescheduled_at: datetime | None
    capacity: int
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class Reschedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_at: Instant
    end_at: Instant
    sale_start_at: Instant | None = None
    sale_end_at: Instant | None = None


class TicketTypeOut(Out):
    id: uuid.UUID
    event_id: uuid.UUID
    name: str
    price: Decimal
    currency: str
    kind: str
    price_tier: str | None
    total_quantity: int
    sold_count: int
    held_count: int
    sale_start_at: datetime | None
    sale_end_at: datetime | None
    status: str


class SeatLabelOut(Out):
    seat_id: uuid.UUID
    section_id: uuid.UUID
    section: str
    block: str
    row: str
    number: str


class HoldCreate(BaseModel):
    """Specific seats, or a quantity of a standing section. Send an `Idempotency-Key` header to
    make retries safe."""

    model_config = ConfigDict(extra="forbid")

    seat_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=100)
    section_id: uuid.UUID | None = None
    quantity: int | None = Field(default=None, ge=1, le=100)
    holder_ref: Annotated[str, PLAIN] = Field(
        min_length=1, max_length=200, description="Who holds it: your buyer or session reference."
    )
    source: HoldSource = HoldSource.WEB

    @field_validator("seat_ids")
    @classmethod
    def _each_seat_once(cls, seat_ids: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
        # Checked here too (the domain checks it as well) so the problem names `seat_ids`.
        if seat_ids is not None and len(set(seat_ids)) != len(seat_ids):
            raise ValueError("lists a seat twice")
        return seat_ids


class HoldRelease(BaseModel):
    """All of the hold (empty body), some of its seats, or some of its places."""

    model_config = ConfigDict(extra="forbid")

    seat_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=100)
    quantity: int | None = Field(default=None, ge=1, le=100)


class HoldOut(Out):
    id: uuid.UUID
    event_id: uuid.UUID
    status: str
    holder_ref: str
    source: str
    held_until: datetime
    seconds_left: int
    seats: list[SeatLabelOut]
    section_id: uuid.UUID | None
    quantity: int
    order_id: uuid.UUID | None
    cancellation_reason: str | None
    created_at: datetime


class OrderOut(Out):
    id: uuid.UUID
    event_id: uuid.UUID
    status: str
    holder_ref: str
    seats: list[SeatLabelOut]
    quantity: int
    total_amount: Decimal | None
    currency: str | None
    cancellation_reason: str | None
    created_at: datetime


class OrderCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refund: bool = False
    reason: Annotated[str, PLAIN] | None = Field(default=None, max_length=100)


class SeatsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seat_ids: list[uuid.UUID] = Field(min_length=1, max_length=1_000)
    reason: Annotated[str, PLAIN] | None = Field(default=None, max_length=100)


class SectionCountsOut(Out):
    section_id: uuid.UUID
    name: str
    type: str
    capacity: int
    available: int
    held: int
    sold: int
    blocked: int


class InventoryOut(BaseModel):
    event_id: uuid.UUID
    seat_count: int
    encoding: str = Field(
        default="base64 of 2 bits per seat in seat-index order, most significant first: "
        "0 available, 1 held, 2 sold, 3 blocked",
    )
    states: str
    sections: list[SectionCountsOut]
    source: str = Field(description="`cache` or `database`: where this answer was read.")


class ChangeOut(Out):
    id: int = Field(description="The change's place in the audit trail: later changes, larger ids.")
    at: datetime
    event_id: uuid.UUID
    seat_id: uuid.UUID | None
    section_id: uuid.UUID | None
    quantity: int
    from_state: str
    to_state: str
    hold_id: uuid.UUID | None
    order_id: uuid.UUID | None
    actor: str
    reason: str


class StreamToken(BaseModel):
    token: str = Field(description="Lets anyone read this event's seat stream: `?token=...`.")
    stream_url: str


class Health(BaseModel):
    ok: bool
    database: dict[str, Any]
    cache: dict[str, Any]
