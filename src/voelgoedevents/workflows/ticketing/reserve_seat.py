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
import hashlib
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from voelgoedevents.adapters.cache.port import (
    CacheUnavailable,
    Claim,
    ClaimStatus,
    EventKey,
    SeatRef,
)
from voelgoedevents.adapters.database.ledger import (
    DuplicateHoldKey,
    FenceMismatch,
    Ledger,
    NewHold,
)
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
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.cache_sync import rebuild_event_cache
from voelgoedevents.workflows.ticketing.views import HoldView, seat_labels


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
    except (DuplicateHoldKey, SeatUnavailable, CapacityExceeded):
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
    write = (services, context, request, seats, tried, actor)
    try:
        try:
            hold = await _write_seat_hold(*write, claim=tried.claim)
        except FenceMismatch:  # the cache was behind: the database's row locks decide
            hold = await _write_seat_hold(*write, claim=None)
    except BaseException:
        if tried.may_hold_locks:
            await services.cache_sync.unlock_quietly(event, seats, token)
        raise
    return HoldView.of(hold, seat_labels(seat_map, seat_ids), services.clock())


@dataclass(frozen=True)
class _Tried:
    claim: Claim | None  # None: go by the database alone
    may_hold_locks: bool  # a claim that failed mid-flight may still have taken its locks
    token: str


async def _claim(
    services: Services, event: EventKey, seats: Sequence[SeatRef], token: str
) -> _Tried:
    """Take the seats' locks in the cache; without a claim (no cache, cache down or stale, or
    being rebuilt elsewhere) the database decides alone. Raises SeatUnavailable, or Busy after
    retries."""
    if not services.gate.trusted_for(event.event_id):
        return _Tried(None, may_hold_locks=False, token=token)
    settings = services.settings.redis
    try:
        for attempt in range(settings.lock_attempts):
            claim = await services.cache.claim(
                event, seats, token=token, lease_ms=settings.lock_lease_ms, now=services.clock()
            )
            services.gate.succeeded()
            if claim.status is ClaimStatus.CLAIMED:
                return _Tried(claim, may_hold_locks=True, token=token)
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
                    return _Tried(None, may_hold_locks=False, token=token)
                continue
            LOCK_WAITS.inc()
            await asyncio.sleep(_backoff(settings.lock_retry_base_ms, attempt))
    except CacheUnavailable:
        # The script may have run and only its reply been lost: its locks are released (by
        # token, so never anyone else's) when this request ends, not left to their lease.
        services.gate.failed()
        return _Tried(None, may_hold_locks=True, token=token)
    raise Busy("another request is reserving these seats right now; try again shortly")


async def _write_seat_hold(
    services: Services,
    context: EventContext,
    request: ReserveRequest,
    seats: Sequence[SeatRef],
    tried: _Tried,
    actor: str,
    *,
    claim: Claim | None,
) -> SeatHold:
    """One transaction: the sales lock, the sale rules, then the ledger holds the seats at the
    versions the claim saw (its fence), or, without a claim, at those of the rows it locks."""
    now = services.clock()
    ids = [seat.seat_id for seat in seats]
    async with services.uow() as uow:
        policy = await _sale_policy(services, uow.ledger, context, now)
        request.ensure_within(policy)
        new = _new_hold(context, request, held_until_for_new_hold(now, policy), now)
        if claim is not None:
            expected = {seat.seat_id: claim.versions[seat.index] for seat in seats}
            before = {seat.seat_id: claim.observed[seat.index] for seat in seats}
        else:
            current = await uow.ledger.lock_seats(context.event_id, ids)
            refusals = refusals_for_hold(ids, current, now)
            if refusals:
                raise SeatUnavailable({str(seat): why for seat, why in refusals.items()})
            expected = {seat_id: row.version for seat_id, row in current.items()}
            before = {seat_id: row.status for seat_id, row in current.items()}
        hold = await uow.ledger.hold_seats(new, expected, before, actor=actor)
        if tried.may_hold_locks:
            event = EventKey(context.organization_id, context.event_id)
            uow.unlock_after_commit(event, seats, tried.token)
        await uow.commit()
    return hold


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
            current = await uow.inventory.seats(context.event_id, known)
        found = refusals_for_hold(known, current, services.clock())
        refusals = {str(seat): why for seat, why in found.items()}
    return {**refusals, **{str(seat): NOT_IN_LAYOUT for seat in unknown}}


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
        policy = await _sale_policy(services, uow.ledger, context, now)
        request.ensure_within(policy)
        new = _new_hold(context, request, held_until_for_new_hold(now, policy), now)
        hold = await uow.ledger.take_places(new, actor=actor)
        if hold is None:
            left = await uow.inventory.places_left(context.event_id, section_id)
            raise CapacityExceeded(
                f"only {left} places left in {section.name} (asked for {quantity})",
                available=left,
            )
        await uow.commit()
    return HoldView.of(hold, [], services.clock())


# --- shared -------------------------------------------------------------------------------------


async def _sale_policy(
    services: Services, ledger: Ledger, context: EventContext, now: datetime
) -> SeatingPolicy:
    sale = await ledger.lock_event_for_sale(context.organization_id, context.event_id)
    reason = sale.sale.why_not_on_sale(now)
    if reason is not None:
        raise EventNotOnSale(f"not on sale: {reason}", status=sale.status.value)
    return SeatingPolicy.resolve(
        services.platform_policy, sale.organization_policy, sale.event_policy
    )


def _new_hold(
    context: EventContext, request: ReserveRequest, held_until: datetime, now: datetime
) -> NewHold:
    return NewHold(
        organization_id=context.organization_id,
        event_id=context.event_id,
        holder_ref=request.holder_ref,
        source=request.source,
        held_until=held_until,
        created_at=now,
        request_fingerprint=request.fingerprint(context.event_id),
        idempotency_key=request.idempotency_key,
        seat_count=len(request.seat_ids or ()),
        section_id=request.section_id,
        quantity=request.quantity or 0,
    )


async def _existing_hold(
    services: Services, context: EventContext, request: ReserveRequest
) -> HoldView | None:
    assert request.idempotency_key is not None
    async with services.uow() as uow:
        hold = await uow.inventory.hold_by_key(context.organization_id, request.idempotency_key)
        if hold is None:
            return None
        if hold.request_fingerprint != request.fingerprint(context.event_id):
            raise IdempotencyKeyReused("this idempotency key was used for a different reservation")
        seats = await uow.inventory.seats_of_hold(hold.id)
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
