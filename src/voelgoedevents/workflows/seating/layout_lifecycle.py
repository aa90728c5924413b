"""A layout's lifecycle: activate, archive, copy to a new draft version, replace a draft."""

from __future__ import annotations

import uuid

from voelgoedevents.adapters.database.repositories import layouts
from voelgoedevents.domain.seating.layout import (
    LayoutStatus,
    ensure_structure_editable,
    transition_layout,
)
from voelgoedevents.workflows.seating.import_layout import RawDocument, as_document
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.views import LayoutView


async def change_layout_status(
    services: Services,
    *,
    organization_id: uuid.UUID,
    layout_id: uuid.UUID,
    target: LayoutStatus,
) -> LayoutView:
    """``draft -> active`` freezes the structure; ``-> archived`` retires it for new events."""
    async with services.uow() as uow:
        layout = await layouts.get_layout(uow.session, organization_id, layout_id, lock=True)
        layout.status = transition_layout(layout.status, target)
        layout.updated_at = services.clock()
        await uow.commit()
        return LayoutView.of(layout)


async def copy_layout(
    services: Services, *, organization_id: uuid.UUID, layout_id: uuid.UUID
) -> LayoutView:
    """A new draft with the same structure and the next version number of the same lineage:
    the way to change a layout that events already use.

    The source is locked (a replace in flight finishes first, so the copy never mixes two
    structures) and so is its lineage, so concurrent copies number their versions in turn."""
    now = services.clock()
    async with services.uow() as uow:
        source = await layouts.get_layout(uow.session, organization_id, layout_id, lock=True)
        await layouts.lock_lineage(uow.session, source.lineage_id)
        document = await layouts.load_document(uow.session, source)
        copy = await layouts.insert_layout(
            uow.session,
            organization_id=organization_id,
            venue_id=source.venue_id,
            document=document,
            now=now,
            lineage_id=source.lineage_id,
            version=await layouts.next_version(uow.session, source.lineage_id),
        )
        await uow.commit()
        return LayoutView.of(copy)


async def replace_layout_document(
    services: Services,
    *,
    organization_id: uuid.UUID,
    layout_id: uuid.UUID,
    document: RawDocument,
) -> LayoutView:
    """Replace a draft's whole structure (seat ids and indexes are new). Refused once active."""
    parsed = as_document(document)
    now = services.clock()
    async with services.uow() as uow:
        layout = await layouts.get_layout(uow.session, organization_id, layout_id, lock=True)
        ensure_structure_editable(layout.status)
        await layouts.delete_structure(uow.session, layout)
        layouts.set_header(layout, parsed)
        layout.updated_at = now
        await uow.session.flush()
        await layouts.insert_structure(uow.session, layout=layout, document=parsed, now=now)
        await uow.commit()
        return LayoutView.of(layout)
