"""Per-event inventory: built from the layout when an event is created."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.database.base import table_of
from voelgoedevents.adapters.database.tables import (
    Event,
    EventSeat,
    EventStandingArea,
    Seat,
    Section,
)
from voelgoedevents.domain.seating.section import SectionType
from voelgoedevents.domain.ticketing.states import SeatState


async def create_event_inventory(session: AsyncSession, event: Event, now: datetime) -> None:
    """One ``event_seats`` row per seat of the layout (blocked-in-layout seats start blocked),
    one ``event_standing_areas`` row per standing section. Done in the database with
    INSERT ... SELECT: a 100,000-seat layout never travels through Python."""
    assert event.layout_id is not None
    seats = table_of(Seat)
    initial_state = sa.case(
        (seats.c.status == "blocked", sa.literal(SeatState.BLOCKED.value)),
        else_=sa.literal(SeatState.AVAILABLE.value),
    )
    select_seats = sa.select(
        sa.literal(event.id, sa.Uuid).label("event_id"),
        seats.c.id,
        seats.c.layout_id,
        seats.c.section_id,
        seats.c.block_id,
        seats.c.seat_index,
        initial_state,
        # Versions start at 1: an empty cache holds version 0, so it never looks up to date.
        sa.literal(1).label("version"),
        sa.literal(now, table_of(EventSeat).c.updated_at.type).label("updated_at"),
        seats.c.organization_id,
    ).where(seats.c.layout_id == event.layout_id, seats.c.organization_id == event.organization_id)
    event_seats = table_of(EventSeat)
    await session.execute(
        sa.insert(event_seats).from_select(
            [
                "event_id",
                "seat_id",
                "layout_id",
                "section_id",
                "block_id",
                "seat_index",
                "status",
                "version",
                "updated_at",
                "organization_id",
            ],
            select_seats,
        )
    )
    sections = table_of(Section)
    select_standing = sa.select(
        sa.literal(event.id, sa.Uuid).label("event_id"),
        sections.c.id,
        sections.c.capacity,
        sa.literal(0),  # held
        sa.literal(0),  # sold
        sa.literal(0),  # blocked
        sa.literal(1),  # version
        sa.literal(now, table_of(EventStandingArea).c.updated_at.type),
        sections.c.organization_id,
    ).where(
        sections.c.layout_id == event.layout_id,
        sections.c.organization_id == event.organization_id,
        sections.c.section_type == SectionType.STANDING.value,
    )
    await session.execute(
        sa.insert(table_of(EventStandingArea)).from_select(
            [
                "event_id",
                "section_id",
                "capacity",
                "held_count",
                "sold_count",
                "blocked_count",
                "version",
                "updated_at",
                "organization_id",
            ],
            select_standing,
        )
    )
