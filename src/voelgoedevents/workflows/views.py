"""What workflows return: plain frozen views, never ORM rows (nothing lazy escapes a transaction).
Entry points render them; the HTTP API maps them onto its own public schemas."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from voelgoedevents.adapters.database.tables import Event, Layout, Organization, TicketType, Venue
from voelgoedevents.domain.events.event import current_status


@dataclass(frozen=True)
class OrganizationView:
    id: uuid.UUID
    name: str
    slug: str
    status: str
    settings: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, row: Organization) -> OrganizationView:
        return cls(row.id, row.name, row.slug, row.status.value, dict(row.settings), row.created_at)


@dataclass(frozen=True)
class VenueView:
    id: uuid.UUID
    organization_id: uuid.UUID
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

    @classmethod
    def of(cls, row: Venue) -> VenueView:
        return cls(
            row.id,
            row.organization_id,
            row.name,
            row.address,
            row.city,
            row.country,
            row.postal_code,
            row.timezone,
            row.capacity,
            dict(row.settings),
            row.status.value,
            row.created_at,
        )


@dataclass(frozen=True)
class LayoutView:
    id: uuid.UUID
    organization_id: uuid.UUID
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

    @classmethod
    def of(cls, row: Layout) -> LayoutView:
        return cls(
            row.id,
            row.organization_id,
            row.venue_id,
            row.name,
            row.description,
            row.status.value,
            row.version,
            row.lineage_id,
            row.total_capacity,
            row.seat_count,
            dict(row.metadata_),
            row.created_at,
            row.updated_at,
        )


@dataclass(frozen=True)
class EventView:
    id: uuid.UUID
    organization_id: uuid.UUID
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

    @classmethod
    def of(cls, row: Event) -> EventView:
        return cls(
            row.id,
            row.organization_id,
            row.venue_id,
            row.layout_id,
            row.name,
            row.description,
            current_status(row.status, row.rescheduled_at).value,
            row.start_at,
            row.end_at,
            row.sale_start_at,
            row.sale_end_at,
            row.rescheduled_at,
            row.capacity,
            dict(row.settings),
            row.created_at,
            row.updated_at,
        )


@dataclass(frozen=True)
class TicketTypeView:
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

    @classmethod
    def of(cls, row: TicketType) -> TicketTypeView:
        return cls(
            row.id,
            row.event_id,
            row.name,
            row.price,
            row.currency,
            row.kind.value,
            row.price_tier,
            row.total_quantity,
            row.sold_count,
            row.held_count,
            row.sale_start_at,
            row.sale_end_at,
            row.status.value,
        )
