"""Hold rules, reserve requests, state packing and the cache gate: pure code, no servers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from voelgoedevents.adapters.cache.gate import CacheGate
from voelgoedevents.adapters.cache.port import pack_states, unpack_state
from voelgoedevents.domain.errors import HoldExpired, HoldNotActive, InvalidInput
from voelgoedevents.domain.ticketing.claimability import (
    SeatSnapshot,
    effective_state,
    refusals_for_hold,
    refusals_for_unblock,
)
from voelgoedevents.domain.ticketing.hold import (
    HoldSnapshot,
    ensure_live,
    extended_until,
    release_is_noop,
    seconds_left,
)
from voelgoedevents.domain.ticketing.policy import SeatingPolicy
from voelgoedevents.domain.ticketing.reservation import ReserveRequest
from voelgoedevents.domain.ticketing.states import HoldStatus, SeatState

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
POLICY = SeatingPolicy(hold_seconds=600, max_seats_per_booking=4, max_total_hold_seconds=1800)


def hold(
    status: HoldStatus = HoldStatus.ACTIVE,
    until: datetime = NOW + timedelta(minutes=5),
    created: datetime = NOW - timedelta(minutes=5),
) -> HoldSnapshot:
    return HoldSnapshot(uuid.uuid4(), uuid.uuid4(), status, until, created, "alice")


def test_extension_gives_a_fresh_hold_time_up_to_the_cap() -> None:
    assert extended_until(hold(), NOW, POLICY) == NOW + timedelta(minutes=10)
    late = NOW + timedelta(minutes=20)
    capped = extended_until(hold(until=late + timedelta(minutes=1)), late, POLICY)
    assert capped == NOW - timedelta(minutes=5) + timedelta(seconds=1800)
    with pytest.raises(HoldNotActive, match="cannot be extended further"):
        extended_until(hold(until=capped), late, POLICY)


def test_only_a_live_hold_is_sold_or_extended() -> None:
    ensure_live(hold(), NOW)
    with pytest.raises(HoldExpired):
        ensure_live(hold(until=NOW), NOW)  # held_until is exclusive
    with pytest.raises(HoldNotActive, match="cancelled"):
        ensure_live(hold(HoldStatus.CANCELLED), NOW)


def test_an_expired_hold_is_expired_whether_or_not_it_was_swept() -> None:
    """Selling a lapsed hold answered hold_expired before the sweeper ran and hold_not_active
    after it: one situation, two codes. Swept or not (or expired early by the event's
    cancellation), it is HoldExpired with its held_until."""
    for snapshot in (
        hold(until=NOW - timedelta(seconds=1)),  # lapsed, not yet swept
        hold(HoldStatus.EXPIRED, until=NOW - timedelta(seconds=1)),  # swept
        hold(HoldStatus.EXPIRED, until=NOW + timedelta(minutes=5)),  # the event was cancelled
    ):
        with pytest.raises(HoldExpired) as refused:
            ensure_live(snapshot, NOW)
        assert refused.value.details == {
            "held_until": snapshot.held_until.isoformat(),
            "status": "expired",
        }
        with pytest.raises(HoldExpired):
            extended_until(snapshot, NOW, POLICY)
    for status in (HoldStatus.CANCELLED, HoldStatus.CONVERTED):
        with pytest.raises(HoldNotActive):
            ensure_live(hold(status), NOW)


def test_releasing_twice_is_a_no_op_but_a_sold_hold_refuses() -> None:
    assert not release_is_noop(hold())
    assert release_is_noop(hold(HoldStatus.EXPIRED))
    assert release_is_noop(hold(HoldStatus.CANCELLED))
    with pytest.raises(HoldNotActive, match="order"):
        release_is_noop(hold(HoldStatus.CONVERTED))


def test_seconds_left_never_negative() -> None:
    assert seconds_left(NOW + timedelta(seconds=90.9), NOW) == 90
    assert seconds_left(NOW - timedelta(seconds=5), NOW) == 0


def test_an_expired_hold_counts_as_available() -> None:
    seat = SeatSnapshot(uuid.uuid4(), 0, SeatState.HELD, 3, uuid.uuid4(), None, NOW)
    assert effective_state(seat.status, seat.held_until, NOW - timedelta(seconds=1)) is (
        SeatState.HELD
    )
    assert effective_state(seat.status, seat.held_until, NOW) is SeatState.AVAILABLE
    unknown = uuid.uuid4()
    assert refusals_for_hold([seat.seat_id, unknown], {seat.seat_id: seat}, NOW) == {
        unknown: "not_in_layout"
    }


def test_unblocking_refuses_layout_blocks_and_unblocked_seats() -> None:
    pillar = SeatSnapshot(uuid.uuid4(), 0, SeatState.BLOCKED, 1)
    free = SeatSnapshot(uuid.uuid4(), 1, SeatState.AVAILABLE, 1)
    seats = {pillar.seat_id: pillar, free.seat_id: free}
    assert refusals_for_unblock([pillar.seat_id, free.seat_id], seats, {pillar.seat_id}) == {
        pillar.seat_id: "blocked_in_layout",
        free.seat_id: "not_blocked (available)",
    }


def test_a_request_is_seats_or_places_and_within_the_policy() -> None:
    seats = [uuid.uuid4() for _ in range(5)]
    with pytest.raises(InvalidInput, match="at most 4"):
        ReserveRequest(seat_ids=seats, holder_ref="a").ensure_within(POLICY)
    with pytest.raises(ValidationError, match="both section_id and quantity"):
        ReserveRequest(section_id=uuid.uuid4(), holder_ref="a")
    with pytest.raises(ValidationError):
        ReserveRequest(seat_ids=seats[:1], section_id=uuid.uuid4(), quantity=1, holder_ref="a")
    with pytest.raises(ValidationError):
        ReserveRequest(seat_ids=seats[:1], holder_ref="  ")


def test_the_fingerprint_ignores_order_but_not_the_event() -> None:
    a, b, event = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first = ReserveRequest(seat_ids=[a, b], holder_ref="x").fingerprint(event)
    assert first == ReserveRequest(seat_ids=[b, a], holder_ref="y").fingerprint(event)
    assert first != ReserveRequest(seat_ids=[a], holder_ref="x").fingerprint(event)
    assert first != ReserveRequest(seat_ids=[a, b], holder_ref="x").fingerprint(uuid.uuid4())


def test_two_bits_per_seat_round_trip() -> None:
    states = {0: SeatState.HELD, 1: SeatState.SOLD, 5: SeatState.BLOCKED, 9: SeatState.HELD}
    packed = pack_states(states, 10)
    assert len(packed) == 3
    assert [unpack_state(packed, i) for i in range(12)] == [
        states.get(i, SeatState.AVAILABLE) for i in range(12)
    ]


def test_the_gate_opens_after_a_failure_and_closes_after_the_cooldown() -> None:
    now = [100.0]
    gate = CacheGate(enabled=True, cooldown_seconds=1.0, monotonic=lambda: now[0])
    event = uuid.uuid4()
    assert gate.trusted_for(event)
    gate.failed()
    assert not gate.available
    now[0] += 1.0
    assert gate.available
    gate.stale.add(event)
    assert not gate.trusted_for(event) and gate.trusted_for(uuid.uuid4())
    assert not CacheGate(enabled=False).available
