"""Giving seats and places back: a hold released (whole or in part), expired, or ended with
its event. Seats the hold no longer holds (taken over after it lapsed, or sold) are left alone;
freeing twice changes nothing."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from voelgoedevents.adapters.cache.port import SeatChange, StandingChange
from voelgoedevents.adapters.database.ledger import areas, audit, locks, seats
from voelgoedevents.adapters.database.ledger.base import LedgerBase
from voelgoedevents.adapters.database.ledger.changes import EventChanges
from voelgoedevents.adapters.database.repositories import holds
from voelgoedevents.adapters.database.tables import SeatHold
from voelgoedevents.domain.errors import InvalidInput
from voelgoedevents.domain.ticketing.states import HoldStatus, SeatState


class Freeing(LedgerBase):
    async def free(
        self,
        hold: SeatHold,
        *,
        status: HoldStatus,
        reason: str,
        actor: str,
        now: datetime,
        seat_ids: Sequence[uuid.UUID] | None = None,
        quantity: int | None = None,
    ) -> None:
        """Free the (locked) hold's seats or places, all or the ones named, and end the hold
        with ``status`` and ``reason`` when nothing is left of it."""
        into = self._changes_of(hold.organization_id, hold.event_id)
        await self._free(hold, status, reason, actor, now, seat_ids, quantity, into)

    async def expire_active_holds(
        self,
        organization_id: uuid.UUID,
        event_id: uuid.UUID,
        *,
        reason: str,
        actor: str,
        now: datetime,
    ) -> None:
        """Every active hold of the event, locked and expired (the event is being cancelled:
        the caller holds its sales lock exclusively)."""
        for hold in await locks.active_holds(self._session, event_id):
            await self.free(hold, status=HoldStatus.EXPIRED, reason=reason, actor=actor, now=now)

    async def expire(
        self, due: Sequence[SeatHold], *, reason: str, actor: str, now: datetime
    ) -> None:
        """Expire many (locked) holds at once: the sweeper. Each event's seats are freed by ONE
        update, events in id order, which locks them in the global (event, seat) order: freeing
        hold after hold would lock seats out of that order and could deadlock with a reserve
        taking over some of them. Per event, because a seat id is a seat of every event of its
        layout. Standing areas are locked after the seats, in (event, area) order, for the same
        reason."""
        by_hold: dict[uuid.UUID, list[holds.SeatRow]] = {}
        seated: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for hold in due:
            if hold.section_id is None:
                seated[hold.event_id].append(hold.id)
                by_hold[hold.id] = []
        for event_id in sorted(seated):
            holders = await holds.seat_holders(self._session, seated[event_id])  # one event's
            rows = await seats.update_seats(
                self._session, seats.held_by_any(seated[event_id]), seats.FREE, now
            )
            for row in rows:
                by_hold[holders[row.seat_id]].append(row)
        standing = sorted(
            (hold for hold in due if hold.section_id is not None),
            key=lambda hold: (hold.event_id, hold.section_id, hold.id),
        )
        for hold in [*(hold for hold in due if hold.section_id is None), *standing]:
            into = self._changes_of(hold.organization_id, hold.event_id)
            if hold.section_id is not None:
                await self._free(hold, HoldStatus.EXPIRED, reason, actor, now, None, None, into)
            else:
                await self._end_seated(hold, by_hold[hold.id], reason, actor, now, into)

    async def _end_seated(
        self,
        hold: SeatHold,
        freed: list[holds.SeatRow],
        reason: str,
        actor: str,
        now: datetime,
        into: EventChanges,
    ) -> None:
        """The sweeper's bookkeeping for one seated hold whose seats it has already freed."""
        into.seats += [SeatChange(row.seat_index, row.version, row.status) for row in freed]
        into.holds_removed.append(hold.id)
        hold.status, hold.cancellation_reason = HoldStatus.EXPIRED, reason
        hold.updated_at, hold.version = now, hold.version + 1
        await audit.record(
            self._session,
            organization_id=hold.organization_id,
            event_id=hold.event_id,
            changes=[
                audit.Change(
                    SeatState.HELD, SeatState.AVAILABLE, seat_id=row.seat_id, hold_id=hold.id
                )
                for row in freed
            ],
            actor=actor,
            reason=reason,
            now=now,
        )

    async def _expire_lapsed_places(
        self, event_id: uuid.UUID, section_id: uuid.UUID, now: datetime
    ) -> list[uuid.UUID]:
        """Expire the unswept, lapsed holds of a standing area, so their places can be taken
        now. Returns their ids (for the cache's registry); the area's intermediate counts stay
        out of the cache batch: the taking that follows carries a newer one."""
        scratch = EventChanges()
        for hold in await locks.expired_standing_holds(self._session, event_id, section_id, now):
            await self._free(
                hold, HoldStatus.EXPIRED, "expired", "system:expiry", now, None, None, scratch
            )
        return scratch.holds_removed

    async def _free(
        self,
        hold: SeatHold,
        status: HoldStatus,
        reason: str,
        actor: str,
        now: datetime,
        seat_ids: Sequence[uuid.UUID] | None,
        quantity: int | None,
        into: EventChanges,
    ) -> None:
        # Naming the other kind of part must not fall through to "all of it".
        if hold.section_id is not None and seat_ids is not None:
            raise InvalidInput(
                "a standing hold has places, not seats: send quantity", field="seat_ids"
            )
        if hold.section_id is None and quantity is not None:
            raise InvalidInput(
                "a seated hold has seats, not places: send seat_ids", field="quantity"
            )
        if hold.section_id is not None:
            amount = hold.quantity if quantity is None else quantity
            changes = await self._free_places(hold, amount, into)
            partial = amount < hold.quantity
            if partial:
                hold.quantity -= amount  # a fully released hold keeps the quantity it last held
            remaining = hold.quantity if partial else 0
        else:
            changes, remaining = await self._free_seats(hold, seat_ids, now, into)
        if remaining == 0:
            hold.status = status
            hold.cancellation_reason = reason
            into.holds_removed.append(hold.id)
        hold.updated_at = now
        hold.version += 1
        await audit.record(
            self._session,
            organization_id=hold.organization_id,
            event_id=hold.event_id,
            changes=changes,
            actor=actor,
            reason=reason,
            now=now,
        )

    async def _free_seats(
        self,
        hold: SeatHold,
        seat_ids: Sequence[uuid.UUID] | None,
        now: datetime,
        into: EventChanges,
    ) -> tuple[list[audit.Change], int]:
        """Free the seats (all, or those named) the hold still holds; the audit changes, and how
        many seats the hold keeps."""
        rows = await seats.update_seats(
            self._session, seats.held_by(hold.id, seat_ids), seats.FREE, now
        )
        if seat_ids is not None and len(rows) != len(set(seat_ids)):
            missing = sorted(set(seat_ids) - {row.seat_id for row in rows})
            raise InvalidInput(
                f"not held by this hold: {', '.join(map(str, missing))}", field="seat_ids"
            )
        into.seats += [SeatChange(row.seat_index, row.version, row.status) for row in rows]
        remaining = len(await holds.seats_of_hold(self._session, hold.id)) if seat_ids else 0
        if remaining:
            # What the holder still means to buy: sell and extend hold the hold to it, so a
            # seat lost after the hold lapsed is noticed rather than silently left out.
            hold.seat_count -= len(rows)
        changes = [
            audit.Change(SeatState.HELD, SeatState.AVAILABLE, seat_id=row.seat_id, hold_id=hold.id)
            for row in rows
        ]
        return changes, remaining

    async def _free_places(
        self, hold: SeatHold, amount: int, into: EventChanges
    ) -> list[audit.Change]:
        assert hold.section_id is not None
        if not 0 < amount <= hold.quantity:
            raise InvalidInput(f"this hold covers {hold.quantity} places", field="quantity")
        area = await areas.move_places(self._session, hold.event_id, hold.section_id, held=-amount)
        into.standing.append(
            StandingChange(area.section_id, area.version, area.used, area.capacity)
        )
        return [
            audit.Change(
                SeatState.HELD,
                SeatState.AVAILABLE,
                section_id=hold.section_id,
                quantity=amount,
                hold_id=hold.id,
            )
        ]
