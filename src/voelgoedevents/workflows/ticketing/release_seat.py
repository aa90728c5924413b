"""Release: give a hold's seats (or standing places) back, whole or in part (seed 8.3.2).

Triggers: the holder cancels, an admin releases, the hold expires, the event is cancelled. All
go through :func:`free_hold`: database first (the hold's status and reason, seats back to
``available`` only where this hold still holds them), then the cache and the change feed.
Releasing twice changes nothing; a sold seat is never freed by a hold's release.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.cache.port import CommitBatch, EventKey, SeatChange, StandingChange
from voelgoedevents.adapters.database.repositories import audit
from voelgoedevents.adapters.database.repositories import holds as repo
from voelgoedevents.adapters.database.repositories.seat_maps import EventContext
from voelgoedevents.adapters.database.tables import SeatHold
from voelgoedevents.domain.errors import InvalidInput
from voelgoedevents.domain.ticketing.hold import release_is_noop
from voelgoedevents.domain.ticketing.states import HoldStatus, SeatState
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.cache_sync import after_commit
from voelgoedevents.workflows.ticketing.views import HoldView, seat_labels


@dataclass
class Freed:
    """What one transaction gave back, per event, for the cache."""

    seats: list[SeatChange] = field(default_factory=list)
    standing: list[StandingChange] = field(default_factory=list)
    holds_removed: list[uuid.UUID] = field(default_factory=list)

    def batch(self) -> CommitBatch:
        return CommitBatch(
            seats=self.seats, standing=self.standing, holds_removed=self.holds_removed
        )


async def free_hold(
    session: AsyncSession,
    hold: SeatHold,
    *,
    status: HoldStatus,
    reason: str,
    actor: str,
    now: datetime,
    seat_ids: Sequence[uuid.UUID] | None = None,
    quantity: int | None = None,
    freed: Freed | None = None,
) -> Freed:
    """Inside the caller's transaction: free the hold's seats or places (all, or the ones named)
    and end the hold when nothing is left. Seats the hold no longer holds (taken over after it
    expired, or sold) are left alone."""
    freed = freed if freed is not None else Freed()
    changes: list[audit.Change] = []
    # Naming the other kind of part must not fall through to "all of it".
    if hold.section_id is not None and seat_ids is not None:
        raise InvalidInput("a standing hold has places, not seats: send quantity", field="seat_ids")
    if hold.section_id is None and quantity is not None:
        raise InvalidInput("a seated hold has seats, not places: send seat_ids", field="quantity")
    if hold.section_id is not None:
        amount = hold.quantity if quantity is None else quantity
        changes += await _free_places(session, hold, amount, freed)
        partial = amount < hold.quantity
        if partial:
            hold.quantity -= amount  # a fully released hold keeps the quantity it last held
        remaining = hold.quantity if partial else 0
    else:
        rows = await repo.update_seats(session, repo.held_by(hold.id, seat_ids), repo.FREE, now)
        if seat_ids is not None and len(rows) != len(set(seat_ids)):
            missing = sorted(set(seat_ids) - {row.seat_id for row in rows})
            raise InvalidInput(
                f"not held by this hold: {', '.join(map(str, missing))}", field="seat_ids"
            )
        freed.seats += [SeatChange(row.seat_index, row.version, row.status) for row in rows]
        changes += [
            audit.Change(SeatState.HELD, SeatState.AVAILABLE, seat_id=row.seat_id, hold_id=hold.id)
            for row in rows
        ]
        remaining = len(await repo.seats_of_hold(session, hold.id)) if seat_ids else 0
        if remaining:
            # What the holder still means to buy: sell and extend hold the hold to it, so a
            # seat lost after the hold lapsed is noticed rather than silently left out.
            hold.seat_count -= len(rows)
    if remaining == 0:
        hold.status = status
        hold.cancellation_reason = reason
        freed.holds_removed.append(hold.id)
    hold.updated_at = now
    hold.version += 1
    await audit.record(
        session,
        organization_id=hold.organization_id,
        event_id=hold.event_id,
        changes=changes,
        actor=actor,
        reason=reason,
        now=now,
    )
    return freed


async def _free_places(
    session: AsyncSession, hold: SeatHold, amount: int, freed: Freed
) -> list[audit.Change]:
    assert hold.section_id is not None
    if not 0 < amount <= hold.quantity:
        raise InvalidInput(f"this hold covers {hold.quantity} places", field="quantity")
    area = await repo.move_places(session, hold.event_id, hold.section_id, held=-amount)
    freed.standing.append(StandingChange(area.section_id, area.version, area.used, area.capacity))
    return [
        audit.Change(
            SeatState.HELD,
            SeatState.AVAILABLE,
            section_id=hold.section_id,
            quantity=amount,
            hold_id=hold.id,
        )
    ]


async def expire_holds_together(
    session: AsyncSession,
    holds: Sequence[SeatHold],
    *,
    reason: str,
    actor: str,
    now: datetime,
) -> dict[EventKey, Freed]:
    """Expire many holds in one transaction (the sweeper). Each event's seats are freed by ONE
    update, events in id order, which locks them in the global (event, seat) order: freeing hold
    after hold would lock seats out of that order and could deadlock with a reserve taking over
    some of them. Per event, because a seat id is a seat of every event of its layout. Standing
    areas are locked after the seats, in (event, area) order, for the same reason."""
    freed: dict[EventKey, Freed] = {}
    by_hold: dict[uuid.UUID, list[repo.SeatRow]] = {}
    seated: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for hold in holds:
        if hold.section_id is None:
            seated[hold.event_id].append(hold.id)
            by_hold[hold.id] = []
    for event_id in sorted(seated):
        holders = await repo.seat_holders(session, seated[event_id])  # seat ids of one event
        rows = await repo.update_seats(session, repo.held_by_any(seated[event_id]), repo.FREE, now)
        for row in rows:
            by_hold[holders[row.seat_id]].append(row)
    # Standing areas after the seats, in (event, area) order, whatever order the holds came in.
    standing = sorted(
        (hold for hold in holds if hold.section_id is not None),
        key=lambda hold: (hold.event_id, hold.section_id, hold.id),
    )
    for hold in [*(hold for hold in holds if hold.section_id is None), *standing]:
        into = freed.setdefault(EventKey(hold.organization_id, hold.event_id), Freed())
        if hold.section_id is not None:
            await free_hold(
                session,
                hold,
                status=HoldStatus.EXPIRED,
                reason=reason,
                actor=actor,
                now=now,
                freed=into,
            )
            continue
        mine = by_hold[hold.id]
        into.seats += [SeatChange(row.seat_index, row.version, row.status) for row in mine]
        into.holds_removed.append(hold.id)
        hold.status, hold.cancellation_reason = HoldStatus.EXPIRED, reason
        hold.updated_at, hold.version = now, hold.version + 1
        await audit.record(
            session,
            organization_id=hold.organization_id,
            event_id=hold.event_id,
            changes=[
                audit.Change(
                    SeatState.HELD, SeatState.AVAILABLE, seat_id=row.seat_id, hold_id=hold.id
                )
                for row in mine
            ],
            actor=actor,
            reason=reason,
            now=now,
        )
    return freed


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
    holder's hold is found (an admin passes none)."""
    now = services.clock()
    async with services.uow() as uow:
        hold = await repo.lock_hold(uow.session, organization_id, hold_id, holder_ref)
        if release_is_noop(repo.hold_snapshot(hold)):
            freed = Freed()
        else:
            expired = hold.held_until <= now
            freed = await free_hold(
                uow.session,
                hold,
                status=HoldStatus.EXPIRED if expired else HoldStatus.CANCELLED,
                reason="expired" if expired else reason,
                actor=actor or f"holder:{hold.holder_ref}",
                now=now,
                seat_ids=seat_ids,
                quantity=quantity,
            )
        remaining = await repo.seats_of_hold(uow.session, hold.id)
        await uow.commit()
    await after_commit(services, EventKey(organization_id, hold.event_id), freed.batch())
    context = await services.seat_maps.event(organization_id, hold.event_id)
    return HoldView.of(
        hold, seat_labels(context.seat_map, [row.seat_id for row in remaining]), services.clock()
    )


async def release_expired_places(
    session: AsyncSession,
    context: EventContext,
    section_id: uuid.UUID,
    *,
    now: datetime,
    actor: str,
) -> list[uuid.UUID]:
    """Expire the unswept, expired holds of a standing area, so their places can be taken now.
    Returns their ids (for the cache's registry)."""
    freed = Freed()
    for hold in await repo.expired_standing_holds(session, context.event_id, section_id, now):
        await free_hold(
            session,
            hold,
            status=HoldStatus.EXPIRED,
            reason="expired",
            actor=actor,
            now=now,
            freed=freed,
        )
    return freed.holds_removed
