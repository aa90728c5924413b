"""Organisations (the tenants) and their venues."""

from __future__ import annotations

import uuid
from contextlib import suppress

import sqlalchemy as sa

from voelgoedevents.adapters.database.errors import unique_violation_as_conflict
from voelgoedevents.adapters.database.repositories.lookup import get_owned
from voelgoedevents.adapters.database.tables import Organization, Venue
from voelgoedevents.domain.errors import Conflict, NotFound
from voelgoedevents.domain.tenancy import OrganizationSpec
from voelgoedevents.domain.venue import VenueSpec
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.views import OrganizationView, VenueView


async def create_organization(services: Services, spec: OrganizationSpec) -> OrganizationView:
    now = services.clock()
    async with services.uow() as uow:
        taken = await uow.session.scalar(
            sa.select(Organization.id).where(Organization.slug == spec.slug)
        )
        if taken is not None:
            raise Conflict(f"an organisation with slug {spec.slug!r} already exists")
        organization = Organization(
            name=spec.name,
            slug=spec.slug,
            settings=dict(spec.settings),
            created_at=now,
            updated_at=now,
        )
        uow.session.add(organization)
        async with unique_violation_as_conflict(f"slug {spec.slug!r} is taken"):
            await uow.session.flush()
        await uow.commit()
        return OrganizationView.of(organization)


async def get_organization(services: Services, organization_id: uuid.UUID) -> OrganizationView:
    async with services.uow() as uow:
        organization = await uow.session.get(Organization, organization_id)
        if organization is None:
            raise NotFound("organisation not found")
        return OrganizationView.of(organization)


async def create_venue(
    services: Services, *, organization_id: uuid.UUID, spec: VenueSpec
) -> VenueView:
    now = services.clock()
    async with services.uow() as uow:
        if await uow.session.get(Organization, organization_id) is None:
            raise NotFound("organisation not found")
        venue = Venue(
            organization_id=organization_id,
            **spec.model_dump(),
            created_at=now,
            updated_at=now,
        )
        uow.session.add(venue)
        await uow.session.flush()
        await uow.commit()
        return VenueView.of(venue)


async def get_venue(
    services: Services, *, organization_id: uuid.UUID, venue_id: uuid.UUID
) -> VenueView:
    async with services.uow() as uow:
        return VenueView.of(
            await get_owned(uow.session, Venue, organization_id, venue_id, what="venue")
        )


async def find_organization(services: Services, reference: str) -> OrganizationView:
    """By slug or by id: operators type slugs, scripts pass ids."""
    condition = Organization.slug == reference
    with suppress(ValueError):
        condition = sa.or_(condition, Organization.id == uuid.UUID(reference))
    async with services.uow() as uow:
        organization = (
            await uow.session.execute(sa.select(Organization).where(condition))
        ).scalar_one_or_none()
        if organization is None:
            raise NotFound(f"organisation {reference!r} not found")
        return OrganizationView.of(organization)


async def list_organizations(services: Services) -> list[OrganizationView]:
    async with services.uow() as uow:
        rows = await uow.session.scalars(sa.select(Organization).order_by(Organization.slug))
        return [OrganizationView.of(row) for row in rows]
