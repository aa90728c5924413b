"""Draft -> active -> archived; copies to new versions; events only on active layouts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from voelgoedevents.adapters.database.tables import EventSeat, EventStandingArea, Seat
from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.errors import (
    InvalidInput,
    InvalidTransition,
    LayoutNotEditable,
    LayoutNotUsable,
)
from voelgoedevents.domain.seating.layout import LayoutStatus
from voelgoedevents.workflows.seating.import_layout import export_layout
from voelgoedevents.workflows.seating.layout_lifecycle import (
    change_layout_status,
    copy_layout,
    replace_layout_document,
)

from support.factories import (
    make_event,
    make_layout,
    make_organization,
    make_venue,
    small_document,
    table_counts,
)


async def test_a_draft_can_be_replaced_until_it_is_activated(services: Services) -> None:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    draft = await make_layout(services, organization.id, venue.id, activate=False)
    bigger = small_document("Little theatre, extended")
    bigger["sections"][2]["capacity"] = 80
    bigger["total_capacity"] = 92
    replaced = await replace_layout_document(
        services, organization_id=organization.id, layout_id=draft.id, document=bigger
    )
    assert (replaced.id, replaced.total_capacity, replaced.name) == (
        draft.id,
        92,
        "Little theatre, extended",
    )
    exported = await export_layout(services, organization_id=organization.id, layout_id=draft.id)
    assert exported.sections[2].capacity == 80

    await change_layout_status(
        services, organization_id=organization.id, layout_id=draft.id, target=LayoutStatus.ACTIVE
    )
    before = await table_counts(services)
    with pytest.raises(LayoutNotEditable, match="copy it to a new draft version"):
        await replace_layout_document(
            services,
            organization_id=organization.id,
            layout_id=draft.id,
            document=small_document(),
        )
    assert await table_counts(services) == before


async def test_copy_makes_the_next_draft_version_with_the_same_structure(
    services: Services,
) -> None:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    active = await make_layout(services, organization.id, venue.id)
    second = await copy_layout(services, organization_id=organization.id, layout_id=active.id)
    third = await copy_layout(services, organization_id=organization.id, layout_id=active.id)
    assert (second.status, second.version, second.lineage_id) == ("draft", 2, active.id)
    assert (third.version, third.lineage_id) == (3, active.id)
    original = await export_layout(services, organization_id=organization.id, layout_id=active.id)
    copied = await export_layout(services, organization_id=organization.id, layout_id=second.id)
    assert copied == original
    async with services.uow() as uow:
        seat_ids = await uow.session.scalars(
            sa.select(Seat.id).where(Seat.layout_id.in_([active.id, second.id]))
        )
        assert len(set(seat_ids)) == 24  # new seats, new ids: the old layout is untouched


async def test_status_rules(services: Services) -> None:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    layout = await make_layout(services, organization.id, venue.id)
    with pytest.raises(InvalidTransition):
        await change_layout_status(
            services,
            organization_id=organization.id,
            layout_id=layout.id,
            target=LayoutStatus.DRAFT,
        )
    archived = await change_layout_status(
        services,
        organization_id=organization.id,
        layout_id=layout.id,
        target=LayoutStatus.ARCHIVED,
    )
    assert archived.status == "archived"
    with pytest.raises(LayoutNotUsable, match="archived"):
        await make_event(services, organization.id, venue.id, layout.id)


async def test_events_need_an_active_layout_of_their_own_venue(services: Services) -> None:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    other_venue = await make_venue(services, organization.id)
    draft = await make_layout(services, organization.id, venue.id, activate=False)
    with pytest.raises(LayoutNotUsable, match="draft"):
        await make_event(services, organization.id, venue.id, draft.id)
    active = await make_layout(services, organization.id, venue.id)
    with pytest.raises(InvalidInput, match="another venue"):
        await make_event(services, organization.id, other_venue.id, active.id)


async def test_an_event_gets_its_own_inventory(services: Services) -> None:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    layout = await make_layout(services, organization.id, venue.id)
    first = await make_event(services, organization.id, venue.id, layout.id)
    second = await make_event(services, organization.id, venue.id, layout.id, name="Matinee")
    assert first.capacity == 62
    async with services.uow() as uow:
        for event in (first, second):
            states = (
                await uow.session.execute(
                    sa.select(EventSeat.seat_index, EventSeat.status, EventSeat.version)
                    .where(EventSeat.event_id == event.id)
                    .order_by(EventSeat.seat_index)
                )
            ).all()
            assert [s.seat_index for s in states] == list(range(12))
            assert [s.status.value for s in states].count("blocked") == 1  # the pillar, A4
            assert states[3].status.value == "blocked"
            assert {s.version for s in states} == {1}
            standing = (
                await uow.session.execute(
                    sa.select(EventStandingArea).where(EventStandingArea.event_id == event.id)
                )
            ).scalar_one()
            assert (standing.capacity, standing.held_count, standing.sold_count) == (50, 0, 0)
