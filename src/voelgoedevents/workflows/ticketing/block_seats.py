"""Block and unblock seats of one event (house seats, kills, a broken seat).

Only an available seat can be blocked: a held or sold seat has a buyer to deal with first. A seat
blocked in the layout (a pillar) is blocked in every event and cannot be unblocked per event.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from voelgoedevents.domain.errors import SeatUnavailable
from voelgoedevents.domain.ticketing.claimability import (
    NOT_IN_LAYOUT,
    refusals_for_block,
    refusals_for_unblock,
)
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.views import SeatLabel, seat_labels


async def block_seats(
    services: Services,
    *,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    actor: str,
    reason: str = "blocked",
) -> list[SeatLabel]:
    return await _set_blocked(
        services, organization_id, event_id, seat_ids, actor, reason, block=True
    )


async def unblock_seats(
    services: Services,
    *,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    actor: str,
    reason: str = "unblocked",
) -> list[SeatLabel]:
    return await _set_blocked(
        services, organization_id, event_id, seat_ids, actor, reason, block=False
    )


async def _set_blocked(
    services: Services,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    actor: str,
    reason: str,
    *,
    block: bool,
) -> list[SeatLabel]:
    context = await services.seat_maps.event(organization_id, event_id)
    seat_map = context.seat_map
    unknown = [seat for seat in seat_ids if seat_map is None or seat not in seat_map.seats]
    if unknown or seat_map is None:
        raise SeatUnavailable({str(seat): NOT_IN_LAYOUT for seat in unknown})
    now = services.clock()
    async with services.uow() as uow:
        await uow.ledger.lock_event_for_sale(organization_id, event_id)  # exists, is ours
        current = await uow.ledger.lock_seats(event_id, seat_ids)
        refusals = (
            refusals_for_block(seat_ids, current, now)
            if block
            else refusals_for_unblock(seat_ids, current, set(seat_map.blocked_in_layout))
        )
        if refusals:
            raise SeatUnavailable({str(seat): why for seat, why in refusals.items()})
        rows = await uow.ledger.set_blocked(
            organization_id, event_id, current, block=block, actor=actor, reason=reason, now=now
        )
        await uow.commit()
    return seat_labels(seat_map, [row.seat_id for row in rows])
