"""Release: give a hold's seats (or standing places) back, whole or in part (seed 8.3.2).

Triggers: the holder cancels, an admin releases, the hold expires (``expire_holds.py``), the event
is cancelled (``events/event_status.py``). All go through the ledger's ``free``: database first
(the hold's status and reason, seats back to ``available`` only where this hold still holds
them), then, after commit, the cache and the change feed. Releasing twice changes nothing; a
sold seat is never freed by a hold's release.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from voelgoedevents.adapters.database.repositories.holds import hold_snapshot
from voelgoedevents.domain.ticketing.hold import release_is_noop
from voelgoedevents.domain.ticketing.states import HoldStatus
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.views import HoldView, seat_labels


async def release_seat(
    services: Services,
    *,
    organization_id: uuid.UUID,
    hold_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID] | None = None,
    quantity: int | None = None,
    holder_ref: str | None = None,
    actor: str | None = None,
    reason: str = "released",
) -> HoldView:
    """Release a whole hold, or some of its seats or places. With ``holder_ref`` only that
    holder's hold is found (an admin passes none). A hold released after it lapsed ends as
    expired, like one the sweeper found."""
    now = services.clock()
    async with services.uow() as uow:
        hold = await uow.ledger.lock_hold(organization_id, hold_id, holder_ref)
        if not release_is_noop(hold_snapshot(hold)):
            expired = hold.held_until <= now
            await uow.ledger.free(
                hold,
                status=HoldStatus.EXPIRED if expired else HoldStatus.CANCELLED,
                reason="expired" if expired else reason,
                actor=actor or f"holder:{hold.holder_ref}",
                now=now,
                seat_ids=seat_ids,
                quantity=quantity,
            )
        remaining = await uow.inventory.seats_of_hold(hold.id)
        await uow.commit()
    context = await services.seat_maps.event(organization_id, hold.event_id)
    return HoldView.of(
        hold, seat_labels(context.seat_map, [row.seat_id for row in remaining]), services.clock()
    )
