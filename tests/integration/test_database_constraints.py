"""The database enforces the rules by itself: a bug in Python cannot store a broken row."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from voelgoedevents.adapters.database.base import utcnow
from voelgoedevents.adapters.database.tables import (
    Block,
    EventSeat,
    EventStandingArea,
    Seat,
    Section,
    TicketType,
)
from voelgoedevents.bootstrap import Services

from support.factories import make_event, make_layout, make_organization, make_venue


def raw(table: Any) -> sa.Table:
    """The table without Python-side enum checks, so the value reaches the database's CHECK."""
    return sa.Table(
        table.__tablename__,
        sa.MetaData(),
        *[
            sa.Column(c.name, sa.String() if isinstance(c.type, sa.Enum) else c.type)
            for c in table.__table__.columns
        ],
    )


async def _insert_fails(services: Services, table: Any, row: dict[str, Any]) -> None:
    async with services.uow() as uow:
        with pytest.raises(IntegrityError):
            await uow.session.execute(sa.insert(raw(table)), [row])


async def _one(services: Services, table: Any, **where: Any) -> dict[str, Any]:
    async with services.uow() as uow:
        result = await uow.session.execute(sa.select(table.__table__).filter_by(**where).limit(1))
        return dict(result.mappings().one())


def _copy(row: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**row, "id": uuid.uuid4(), "created_at": utcnow(), "updated_at": utcnow(), **changes}


@pytest.fixture
async def layout_rows(services: Services) -> dict[str, Any]:
    organization = await make_organization(services)
    other = await make_organization(services)
    venue = await make_venue(services, organization.id)
    layout = await make_layout(services, organization.id, venue.id, activate=False)
    return {
        "services": services,
        "other_org": other.id,
        "layout": layout,
        "section": await _one(services, Section, layout_id=layout.id, name="Stalls"),
        "block": await _one(services, Block, layout_id=layout.id, name="Row A"),
        "seat": await _one(services, Seat, layout_id=layout.id, seat_index=0),
    }


CASES: dict[str, Callable[[dict[str, Any]], tuple[Any, dict[str, Any]]]] = {
    "section of another organisation": lambda r: (
        Section,
        _copy(r["section"], name="Other", position=9, organization_id=r["other_org"]),
    ),
    "block of another organisation": lambda r: (
        Block,
        _copy(r["block"], name="Row Z", position=9, organization_id=r["other_org"]),
    ),
    "seat of another organisation": lambda r: (
        Seat,
        _copy(r["seat"], number="99", seat_index=99, organization_id=r["other_org"]),
    ),
    "seat whose block is in another section": lambda r: (
        Seat,
        _copy(r["seat"], number="98", seat_index=98, section_id=uuid.uuid4()),
    ),
    "duplicate seat in a section": lambda r: (Seat, _copy(r["seat"], seat_index=50)),
    "duplicate seat index in a layout": lambda r: (Seat, _copy(r["seat"], number="77")),
    "negative section capacity": lambda r: (
        Section,
        _copy(r["section"], name="Neg", position=8, capacity=-1),
    ),
    "unknown section type": lambda r: (
        Section,
        _copy(r["section"], name="Odd", position=7, section_type="floating"),
    ),
    "unknown seat category": lambda r: (
        Seat,
        _copy(r["seat"], number="55", seat_index=55, category="throne"),
    ),
    "seat status held in a layout": lambda r: (
        Seat,
        _copy(r["seat"], number="56", seat_index=56, status="held"),
    ),
    "negative block capacity": lambda r: (
        Block,
        _copy(r["block"], name="Row Q", position=6, capacity=-3),
    ),
    "companion of a seat the layout does not have": lambda r: (
        Seat,
        _copy(r["seat"], number="60", seat_index=60, companion_of=61),
    ),
    "half a focal point": lambda r: (
        Section,
        _copy(r["section"], name="Half", position=5, focal_x=1.0, focal_y=None),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_the_database_refuses(layout_rows: dict[str, Any], case: str) -> None:
    table, row = CASES[case](layout_rows)
    await _insert_fails(layout_rows["services"], table, row)


async def test_inventory_rows_need_exactly_one_owner_matching_their_state(
    services: Services,
) -> None:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    layout = await make_layout(services, organization.id, venue.id)
    event = await make_event(services, organization.id, venue.id, layout.id)
    event_seats = raw(EventSeat)
    async with services.uow() as uow:
        for status, extra in [
            ("held", {}),  # held without a hold
            ("sold", {}),  # sold without an order
            ("available", {"held_until": utcnow()}),
            ("lost", {}),  # not a state
        ]:
            with pytest.raises(IntegrityError):
                async with uow.session.begin_nested():  # rolls back to here, next case
                    await uow.session.execute(
                        sa.update(event_seats)
                        .where(event_seats.c.event_id == event.id, event_seats.c.seat_index == 0)
                        .values(status=status, **extra)
                    )


async def test_standing_areas_and_ticket_types_cannot_be_oversold(services: Services) -> None:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    layout = await make_layout(services, organization.id, venue.id)
    event = await make_event(services, organization.id, venue.id, layout.id)
    async with services.uow() as uow:
        with pytest.raises(IntegrityError):
            await uow.session.execute(
                sa.update(EventStandingArea)
                .where(EventStandingArea.event_id == event.id)
                .values(held_count=30, sold_count=21)
            )
    async with services.uow() as uow:
        ticket_type = TicketType(
            organization_id=organization.id,
            event_id=event.id,
            name="GA",
            price=100,
            kind="ga",
            total_quantity=10,
            sold_count=6,
            held_count=5,
        )
        uow.session.add(ticket_type)
        with pytest.raises(IntegrityError, match="not_oversold"):
            await uow.session.flush()
