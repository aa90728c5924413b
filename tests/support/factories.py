"""Build the data most tests need, through the real workflows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from voelgoedevents.adapters.database import tables as _tables  # noqa: F401  (registers tables)
from voelgoedevents.adapters.database.base import Base
from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.events.event import EventSpec, EventStatus
from voelgoedevents.domain.seating.layout import LayoutStatus
from voelgoedevents.domain.tenancy import OrganizationSpec
from voelgoedevents.domain.venue import VenueSpec
from voelgoedevents.workflows.events.create_event import create_event
from voelgoedevents.workflows.events.event_status import change_event_status
from voelgoedevents.workflows.seating.import_layout import import_layout
from voelgoedevents.workflows.seating.layout_lifecycle import change_layout_status
from voelgoedevents.workflows.tenancy import create_organization, create_venue
from voelgoedevents.workflows.views import (
    EventView,
    LayoutView,
    OrganizationView,
    VenueView,
)


def seat(row: str, number: int, **extra: Any) -> dict[str, Any]:
    return {"row": row, "number": str(number), "x": number * 10.0, "y": ord(row[0]) * 10.0, **extra}


def small_document(name: str = "Little theatre") -> dict[str, Any]:
    """Two seated sections (rows of four and three seats) and a standing area of 50: 62 places,
    12 seats. Row A seat 4 is blocked in the layout (a pillar)."""
    return {
        "name": name,
        "description": "A small hall for tests",
        "total_capacity": 62,
        "sections": [
            {
                "name": "Stalls",
                "type": "seated",
                "capacity": 8,
                "price_tier": "A",
                "blocks": [
                    {
                        "name": "Row A",
                        "capacity": 4,
                        "seats": [
                            seat("A", 1, category="aisle"),
                            seat("A", 2),
                            seat("A", 3),
                            seat("A", 4, status="blocked"),
                        ],
                    },
                    {
                        "name": "Row B",
                        "capacity": 4,
                        "seats": [seat("B", n) for n in range(1, 4)]
                        + [seat("B", 4, category="wheelchair")],
                    },
                ],
            },
            {
                "name": "Balcony",
                "type": "seated",
                "capacity": 4,
                "price_tier": "B",
                "blocks": [
                    {"name": "Row C", "capacity": 5, "seats": [seat("C", n) for n in range(1, 5)]}
                ],
            },
            {"name": "Standing", "type": "standing", "capacity": 50, "price_tier": "C"},
        ],
    }


async def make_organization(services: Services, slug: str | None = None) -> OrganizationView:
    slug = slug or f"org-{uuid.uuid4().hex[:8]}"
    return await create_organization(services, OrganizationSpec(name=slug.title(), slug=slug))


async def make_venue(services: Services, organization_id: uuid.UUID) -> VenueView:
    return await create_venue(
        services, organization_id=organization_id, spec=VenueSpec(name="City Hall", city="Pretoria")
    )


async def make_layout(
    services: Services,
    organization_id: uuid.UUID,
    venue_id: uuid.UUID,
    document: Any = None,
    *,
    activate: bool = True,
) -> LayoutView:
    layout = await import_layout(
        services,
        organization_id=organization_id,
        venue_id=venue_id,
        document=document if document is not None else small_document(),
    )
    if activate:
        layout = await change_layout_status(
            services,
            organization_id=organization_id,
            layout_id=layout.id,
            target=LayoutStatus.ACTIVE,
        )
    return layout


async def make_event(
    services: Services,
    organization_id: uuid.UUID,
    venue_id: uuid.UUID,
    layout_id: uuid.UUID | None,
    *,
    publish: bool = True,
    **spec: Any,
) -> EventView:
    now = services.clock()
    values: dict[str, Any] = {
        "venue_id": venue_id,
        "layout_id": layout_id,
        "name": "Opening night",
        "start_at": now + timedelta(days=30),
        "end_at": now + timedelta(days=30, hours=3),
        "sale_start_at": now - timedelta(days=1),
        **spec,
    }
    event = await create_event(services, organization_id=organization_id, spec=EventSpec(**values))
    if publish:
        event = await change_event_status(
            services,
            organization_id=organization_id,
            event_id=event.id,
            target=EventStatus.PUBLISHED,
        )
    return event


@dataclass(frozen=True)
class Scenario:
    organization: OrganizationView
    venue: VenueView
    layout: LayoutView
    event: EventView

    @property
    def org_id(self) -> uuid.UUID:
        return self.organization.id


async def on_sale_scenario(services: Services, document: Any = None) -> Scenario:
    """An organisation, a venue, an active layout and a published event on sale now."""
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    layout = await make_layout(services, organization.id, venue.id, document)
    event = await make_event(services, organization.id, venue.id, layout.id)
    return Scenario(organization, venue, layout, event)


async def table_counts(services: Services) -> dict[str, int]:
    """Rows per table: 'nothing changed' is checked against the whole database."""
    async with services.engine.connect() as connection:
        return {
            table.name: int(
                await connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            )
            for table in Base.metadata.sorted_tables
        }
