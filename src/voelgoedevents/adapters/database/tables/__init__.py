"""Every table, imported here so ``Base.metadata`` knows them all (Alembic and tests use it)."""

from voelgoedevents.adapters.database.tables.access import ApiKey, IdempotencyRecord
from voelgoedevents.adapters.database.tables.cache import EventCacheStatus
from voelgoedevents.adapters.database.tables.event import Event, TicketType
from voelgoedevents.adapters.database.tables.seating import Block, Layout, Seat, Section
from voelgoedevents.adapters.database.tables.tenancy import Organization
from voelgoedevents.adapters.database.tables.ticketing import (
    EventSeat,
    EventStandingArea,
    Order,
    SeatHold,
    SeatStateChange,
)
from voelgoedevents.adapters.database.tables.venue import Venue

__all__ = [
    "ApiKey",
    "Block",
    "Event",
    "EventCacheStatus",
    "EventSeat",
    "EventStandingArea",
    "IdempotencyRecord",
    "Layout",
    "Order",
    "Organization",
    "Seat",
    "SeatHold",
    "SeatStateChange",
    "Section",
    "TicketType",
    "Venue",
]
