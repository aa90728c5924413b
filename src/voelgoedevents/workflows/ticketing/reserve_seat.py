"""Reserve: hold seats, or places in a standing section, for one buyer (seed 8.3.1).

Guarantees:

- **Never two holders for one seat.** The database write only matches each seat at the version
  the writer saw (``WHERE (seat_id, version) IN ...``): of two writers, one changes nothing. Redis
  and its locks only keep the losers away from the database; they never decide.
- **All or nothing.** Every seat of the request is held under one hold in one transaction, or
  nothing is, and the answer names each unavailable seat and why.
- **An expired hold blocks nobody**, even before the sweeper has released it.
- **Idempotent.** A retry with the same idempotency key returns the same hold: it shares the
  lock token of the first attempt, and the key is unique per organisation in the database.
- **Losing Redis makes it slower, never wrong**: without the cache the same transaction runs
  on row locks alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from voelgoedevents.adapters.cache.port import (
    CacheUnavailable,
    Claim,
    ClaimStatus,
    CommitBatch,
    EventKey,
    HoldEntry,
    SeatChange,
    SeatRef,
    StandingChange,
)
from voelgoedevents.adapters.database.base import new_id
from voelgoedevents.adapters.database.repositories import audit, reservation
from voelgoedevents.adapters.database.repositories import holds as repo
from voelgoedevents.adapters.database.repositories.seat_maps import EventContext
from voelgoedevents.adapters.database.tables import SeatHold
from voelgoedevents.adapters.metrics import HOLD_ATTEMPTS, HOLD_LATENCY, LOCK_WAITS
from voelgoedevents.domain.errors import (
    Busy,
    CapacityExceeded,
    DomainError,
    EventNotOnSale,
    IdempotencyKeyReused,
    InvalidInput,
    SeatUnavailable,
)
from voelgoedevents.domain.seating.section import SectionType
from voelgoedevents.domain.ticketing.claimability import NOT_IN_LAYOUT, refusals_for_hold
from voelgoedevents.domain.ticketing.hold import held_until_for_new_hold
from voelgoedevents.domain.ticketing.policy import SeatingPolicy
from voelgoedevents.domain.ticketing.reservation import ReserveRequest
from voelgoedevents.domain.ticketing.states import HoldStatus, SeatState
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.cache_sync import after_commit, rebuild_event_cache
from voelgoedevents.workflows.ticketing.release_seat import release_expired_places
from voelgoedevents.workflows.ticketing.views import HoldView, seat_labels


class _FenceMismatch(Exception):
    """The cache's versions were behind the database: redo the write on the database path."""


class _DuplicateKey(Exception):
    """Another attempt with the same idempotency key committed first."""


async def reserve_seat(
    services: Services,
    *,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    request: ReserveRequest,
    actor: str | None = None,
) -> HoldView:
    started = time.perf_counter()
    outcome = "error"
    try:
        held = await _reserve(services, organization_id, event_id, request, actor)
        outcome = "held"
        return held
    except DomainError as exc:
        outcome = exc.code
        raise
    finally:
        HOLD_ATTEMPTS.labels(outcome).inc()
        HOLD_LATENCY.observe(time.perf_counter() - started)


async def _reserve(
    services: Services,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    request: ReserveRequest,
    actor: str | None,
) -> HoldView:
    context = await services.seat_maps.event(organization_id, event_id)
    actor = actor or f"holder:{request.holder_ref}"
    if request.idempotency_key is not None:
        existing = await _existing_hold(services, context, request)
        if existing is not None:
            return existing
    try:
        if request.seat_ids is not None:
            return await _reserve_seats(services, context, request, request.seat_ids, actor)
        return await _reserve_standing(services, context, request, actor)
    except (_DuplicateKey, SeatUnavailable, CapacityExceeded):
        # A concurrent attempt with the same key may have won: it answers for both.
        if request.idempotency_key is not None:
            existing = await _existing_hold(services, context, request)
            if existing is not None:
                return existing
        raise


# --- seats ------------------------------------------------------------------------------------


async def _reserve_seats(
    services: Services,
    context: EventContext,
    request: ReserveRequest,
    seat_ids: Sequence[uuid.UUID],
    actor: str,
) -> HoldView:
    seat_map = context.seat_map
    unknown = [seat for seat in seat_ids if seat_map is None or seat not in seat_map.seats]
    if unknown or seat_map is None:
        raise SeatUnavailable(await _refusals_with_unknown(services, context, seat_ids, unknown))
    seats = [SeatRef(seat, seat_map.seats[seat].index) for seat in sorted(seat_ids)]
    event = EventKey(context.organization_id, context.event_id)
    token = _lock_token(context.organization_id, request.idempotency_key)
    tried = await _claim(services, event, seats, token)
    claim = tried.claim
    try:
        try:
            hold, changes = await _write_seat_hold(services, context, request, seats, claim, actor)
        except _FenceMismatch:
            hold, changes = await _write_seat_hold(services, context, request, seats, None, actor)
    except BaseException:
        if tried.may_hold_locks:
            await _unlock_quietly(services, event, seats, token)
        raise
    await after_commit(
        services,
        event,
        CommitBatch(
            seats=changes,
            holds_set=[HoldEntry(hold.id, hold.held_until)],
            unlock_token=token if tried.may_hold_locks else None,
            unlock_seats=seats if tried.may_hold_locks else (),
        ),
    )
    return HoldView.of(hold, seat_labels(seat_map, seat_ids), services.clock())


@dataclass(frozen=True)
class _Tried:
    claim: Claim | None  # None: go by the database alone
    may_hold_locks: bool  # a claim that failed mid-flight may still have taken its locks


async def _claim(
    services: Services, event: EventKey, seats: Sequence[SeatRef], token: str
) -> _Tried:
    """Take the seats' locks in the cache; without a claim (no cache, cache down or stale, or
    being rebuilt elsewhere) the database decides alone. Raises SeatUnavailable, or Busy after
    retries."""
    if not services.gate.trusted_for(event.event_id):
        return _Tried(None, may_hold_locks=False)
    settings = services.settings.redis
    try:
        for attempt in range(settings.lock_attempts):
            claim = await services.cache.claim(
                event, seats, token=token, lease_ms=settings.lock_lease_ms, now=services.clock()
            )
            services.gate.succeeded()
            if claim.status is ClaimStatus.CLAIMED:
                return _Tried(claim, may_hold_locks=True)
            if claim.status is ClaimStatus.UNAVAILABLE:
                by_index = {seat.index: seat.seat_id for seat in seats}
                raise SeatUnavailable(
                    {
                        str(by_index[index]): state.value
                        for index, state in sorted(claim.unavailable.items())
                    }
                )
            if claim.status is ClaimStatus.COLD:
                if not await rebuild_event_cache(services, event, resync=False):
                    return _Tried(None, may_hold_locks=False)
                continue
            LOCK_WAITS.inc()
            await asyncio.sleep(_backoff(settings.lock_retry_base_ms, attempt))
    except CacheUnavailable:
        # The script may have run and only its reply been lost: its locks are released (by
        # token, so never anyone else's) when this request ends, not left to their lease.
        services.gate.failed()
        return _Tried(None, may_hold_locks=True)
    raise Busy("another request is reserving these seats right now; try again shortly")


async def _write_seat_hold(
    services: Services,
    context: EventContext,
    request: ReserveRequest,
    seats: Sequence[SeatRef],
    claim: Claim | None,
    actor: str,
) -> tuple[SeatHold, list[SeatChange]]:
    now = services.clock()
    async with services.uow() as uow:
        session = uow.session
        policy = await _sale_policy(services, uow.session, context, now)
        request.ensure_within(policy)
        hold = _new_hold(context, request, held_until_for_new_hold(now, policy), now)
        if claim is not None:
            expected = {seat.seat_id: claim.versions[seat.index] for seat in seats}
            before = {seat.seat_id: claim.observed[seat.index] for seat in seats}
        else:
            current = await repo.read_seats(
                session, context.event_id, expected_ids(seats), lock=True
            )
            refusals = refusals_for_hold(expected_ids(seats), current, now)
            if refusals:
                raise SeatUnavailable({str(seat): why for seat, why in refusals.items()})
            expected = {seat_id: row.version for seat_id, row in current.items()}
            before = {seat_id: row.status for seat_id, row in current.items()}
        rows = await _hold_seats(session, context, request, hold, expected, before, actor)
        if len(rows) != len(seats):
            raise _FenceMismatch
        await uow.commit()
    return SeatHold(**hold), [
        SeatChange(row.seat_index, row.version, row.status, row.held_until) for row in rows
    ]


async def _hold_seats(
    session: AsyncSession,
    context: EventContext,
    request: ReserveRequest,
    hold: dict[str, Any],
    expected: dict[uuid.UUID, int],
    before: Mapping[uuid.UUID, SeatState],
    actor: str,
) -> Sequence[repo.SeatRow | reservation.HeldSeat]:
    """Insert the hold, then hold the seats still at their expected versions, with an audit row
    each. On PostgreSQL one statement does all three (``reservation.py``)."""
    if (await session.connection()).dialect.name == "postgresql":
        with _duplicate_key_guard(request):
            return await reservation.insert_hold_and_hold_seats(
                session, hold, expected, actor=actor
            )
    await _insert_hold(session, request, hold)
    rows = await repo.update_seats(
        session,
        repo.fenced(context.event_id, expected),
        {
            "status": SeatState.HELD.value,
            "hold_id": hold["id"],
            "held_until": hold["held_until"],
            "order_id": None,
        },
        hold["created_at"],
    )
    await audit.record(
        session,
        organization_id=context.organization_id,
        event_id=context.event_id,
        changes=[
            audit.Change(
                before[row.seat_id], SeatState.HELD, seat_id=row.seat_id, hold_id=hold["id"]
            )
            for row in rows
        ],
        actor=actor,
        reason="reserved",
        now=hold["created_at"],
    )
    return rows


async def _refusals_with_unknown(
    services: Services,
    context: EventContext,
    seat_ids: Sequence[uuid.UUID],
    unknown: Sequence[uuid.UUID],
) -> dict[str, str]:
    """A request naming seats outside the layout is refused whole; the answer still names every
    other seat that is unavailable (read, not locked: nothing is taken), so the buyer learns
    all that is wrong at once."""
    known = [seat for seat in seat_ids if seat not in set(unknown)]
    refusals = {}
    if known:
        async with services.uow() as uow:
            current = await repo.read_seats(uow.session, context.event_id, known, lock=False)
        found = refusals_for_hold(known, current, services.clock())
        refusals = {str(seat): why for seat, why in found.items()}
    return {**refusals, **{str(seat): NOT_IN_LAYOUT for seat in unknown}}


def expected_ids(seats: Sequence[SeatRef]) -> list[uuid.UUID]:
    return [seat.seat_id for seat in seats]


# --- standing places ----------------------------------------------------------------------------


async def _reserve_standing(
    services: Services, context: EventContext, request: ReserveRequest, actor: str
) -> HoldView:
    section_id, quantity = request.section_id, request.quantity
    assert section_id is not None and quantity is not None
    section = context.seat_map.sections.get(section_id) if context.seat_map else None
    if section is None or section.type is not SectionType.STANDING:
        raise InvalidInput("not a standing section of this event's layout", field="section_id")
    now = services.clock()
    async with services.uow() as uow:
        session = uow.session
        policy = await _sale_policy(services, session, context, now)
        request.ensure_within(policy)
        hold = _new_hold(context, request, held_until_for_new_hold(now, policy), now)
        await _insert_hold(session, request, hold)
        area = await repo.take_places(session, context.event_id, section_id, quantity)
        released: list[uuid.UUID] = []
        if area is None:  # expired holds' places count as free: release them, then try again
            released = await release_expired_places(
                session, context, section_id, now=now, actor="system:expiry"
            )
            if released:
                area = await repo.take_places(session, context.event_id, section_id, quantity)
        if area is None:
            current = await repo.read_area(session, context.event_id, section_id)
            left = current.capacity - current.used if current else 0
            raise CapacityExceeded(
                f"only {left} places left in {section.name} (asked for {quantity})",
                available=left,
            )
        await audit.record(
            session,
            organization_id=context.organization_id,
            event_id=context.event_id,
            changes=[
                audit.Change(
                    SeatState.AVAILABLE,
                    SeatState.HELD,
                    section_id=section_id,
                    quantity=quantity,
                    hold_id=hold["id"],
                )
            ],
            actor=actor,
            reason="reserved",
            now=now,
        )
        await uow.commit()
    await after_commit(
        services,
        EventKey(context.organization_id, context.event_id),
        CommitBatch(
            standing=[StandingChange(section_id, area.version, area.used, area.capacity)],
            holds_set=[HoldEntry(hold["id"], hold["held_until"])],
            holds_removed=released,
        ),
    )
    return HoldView.of(SeatHold(**hold), [], services.clock())


# --- shared -------------------------------------------------------------------------------------


async def _sale_policy(
    services: Services, session: AsyncSession, context: EventContext, now: datetime
) -> SeatingPolicy:
    sale = await repo.lock_event_for_sale(session, context.organization_id, context.event_id)
    reason = sale.sale.why_not_on_sale(now)
    if reason is not None:
        raise EventNotOnSale(f"not on sale: {reason}", status=sale.status.value)
    return SeatingPolicy.resolve(
        services.platform_policy, sale.organization_policy, sale.event_policy
    )


def _new_hold(
    context: EventContext, request: ReserveRequest, held_until: datetime, now: datetime
) -> dict[str, Any]:
    """The new hold's row, every column's value."""
    return {
        "id": new_id(),
        "organization_id": context.organization_id,
        "event_id": context.event_id,
        "holder_ref": request.holder_ref,
        "status": HoldStatus.ACTIVE,
        "source": request.source,
        "held_until": held_until,
        "seat_count": len(request.seat_ids or ()),
        "section_id": request.section_id,
        "ticket_type_id": None,
        "quantity": request.quantity or 0,
        "extension_count": 0,
        "idempotency_key": request.idempotency_key,
        "request_fingerprint": request.fingerprint(context.event_id),
        "cancellation_reason": None,
        "order_id": None,
        "version": 0,
        "created_at": now,
        "updated_at": now,
    }


async def _insert_hold(
    session: AsyncSession, request: ReserveRequest, hold: dict[str, Any]
) -> None:
    """Before any seat or place: a second attempt with the same key stops here, on the unique
    constraint, before it touches one."""
    with _duplicate_key_guard(request):
        await repo.insert_hold(session, hold)


@contextlib.contextmanager
def _duplicate_key_guard(request: ReserveRequest) -> Iterator[None]:
    try:
        yield
    except IntegrityError as exc:
        if request.idempotency_key is not None and "idempotency_key" in str(exc.orig):
            raise _DuplicateKey from None
        raise


async def _existing_hold(
    services: Services, context: EventContext, request: ReserveRequest
) -> HoldView | None:
    assert request.idempotency_key is not None
    async with services.uow() as uow:
        hold = await repo.find_hold_by_key(
            uow.session, context.organization_id, request.idempotency_key
        )
        if hold is None:
            return None
        if hold.request_fingerprint != request.fingerprint(context.event_id):
            raise IdempotencyKeyReused("this idempotency key was used for a different reservation")
        seats = await repo.seats_of_hold(uow.session, hold.id)
    return HoldView.of(
        hold, seat_labels(context.seat_map, [row.seat_id for row in seats]), services.clock()
    )


def _lock_token(organization_id: uuid.UUID, idempotency_key: str | None) -> str:
    """Retries of one request share a token, so they find the locks already theirs."""
    if idempotency_key is None:
        return uuid.uuid4().hex
    return hashlib.sha256(f"{organization_id}:{idempotency_key}".encode()).hexdigest()[:32]


def _backoff(base_ms: int, attempt: int) -> float:
    return float(base_ms * (2**attempt) * random.uniform(0.5, 1.5) / 1000)


async def _unlock_quietly(
    services: Services, event: EventKey, seats: Sequence[SeatRef], token: str
) -> None:
    """Best effort: if the cache is gone, the leases free the locks on their own."""
    try:
        await services.cache.unlock(event, seats, token)
    except CacheUnavailable:
        services.gate.failed()
