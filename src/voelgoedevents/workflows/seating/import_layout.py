"""Create a whole layout from one document, in one transaction, or reject it whole."""

from __future__ import annotations

import uuid

from voelgoedevents.adapters.database.repositories import layouts
from voelgoedevents.adapters.database.repositories.lookup import get_owned
from voelgoedevents.adapters.database.tables import Venue
from voelgoedevents.domain.seating.layout import LayoutDocument, parse_layout_document
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.views import LayoutView

RawDocument = LayoutDocument | str | bytes | dict[str, object]


def as_document(raw: RawDocument) -> LayoutDocument:
    """Documents built in code are re-checked too: a model can be constructed without its rules."""
    if isinstance(raw, LayoutDocument):
        return parse_layout_document(raw.model_dump(mode="json"))
    return parse_layout_document(raw)


async def import_layout(
    services: Services, *, organization_id: uuid.UUID, venue_id: uuid.UUID, document: RawDocument
) -> LayoutView:
    """A new draft layout of the venue.

    Guarantees: the document is checked in full before anything is written, and every problem
    is reported (``InvalidDocument``); the venue must belong to the caller's organisation; the
    layout, its sections, blocks and seats are written in one transaction, so a failure leaves
    nothing behind.
    """
    parsed = as_document(document)
    now = services.clock()
    async with services.uow() as uow:
        venue = await get_owned(uow.session, Venue, organization_id, venue_id, what="venue")
        layout = await layouts.insert_layout(
            uow.session,
            organization_id=organization_id,
            venue_id=venue.id,
            document=parsed,
            now=now,
        )
        await uow.commit()
        return LayoutView.of(layout)


async def get_layout(
    services: Services, *, organization_id: uuid.UUID, layout_id: uuid.UUID
) -> LayoutView:
    async with services.uow() as uow:
        return LayoutView.of(await layouts.get_layout(uow.session, organization_id, layout_id))


async def export_layout(
    services: Services, *, organization_id: uuid.UUID, layout_id: uuid.UUID
) -> LayoutDocument:
    """The layout as a document; importing it again builds the same structure."""
    async with services.uow() as uow:
        layout = await layouts.get_layout(uow.session, organization_id, layout_id)
        return await layouts.load_document(uow.session, layout)
