"""Selling, refunds, blocked seats, and what event status changes do to holds."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.errors import (
    EventNotOnSale,
    HoldExpired,
    NotFound,
    OrderNotActive,
    SeatUnavailable,
)
from voelgoedevents.domain.events.event import EventStatus
from voelgoedevents.domain.events.ticket_type import TicketTypeSpec
from voelgoedevents.workflows.events.event_status import change_event_status, reschedule_event
from voelgoedevents.workflows.events.ticket_types import create_ticket_type
from voelgoedevents.workflows.ticketing.block_seats import block_seats, unblock_seats
from voelgoedevents.workflows.ticketing.extend_hold import extend_hold
from voelgoedevents.workflows.ticketing.inventory_view import event_inventory
from voelgoedevents.workflows.ticketing.orders import cancel_order
from voelgoedevents.workflows.ticketing.release_seat import release_seat
from voelgoedevents.workflows.ticketing.sell_hold import sell_hold

from support.clock import ManualClock
from support.factories import on_sale_scenario
from support.holds import assert_cache_matches, hold, hold_row, seat_ids, seat_rows


async def test_sell_makes_an_order_and_is_idempotent(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    for tier, price in (("A", "350.00"), ("B", "200.00")):
        await create_ticket_type(
            hold_services,
            organization_id=scenario.org_id,
            event_id=scenario.event.id,
            spec=TicketTypeSpec(
                name=f"Tier {tier}", price=Decimal(price), kind="seated", price_tier=tier
            ),
        )
    seats = await seat_ids(hold_services, scenario)
    held = await hold(hold_services, scenario, [seats[0], seats[8]])  # Stalls A1, Balcony C1
    order = await sell_hold(
        hold_services, organization_id=scenario.org_id, hold_id=held.id, holder_ref="alice"
    )
    assert (order.status, order.total_amount, order.currency) == (
        "completed",
        Decimal("550.00"),
        "ZAR",
    )
    assert [(s.section, s.row, s.number) for s in order.seats] == [
        ("Stalls", "A", "1"),
        ("Balcony", "C", "1"),
    ]
    again = await sell_hold(hold_services, organization_id=scenario.org_id, hold_id=held.id)
    assert again.id == order.id
    rows = await seat_rows(hold_services, scenario.event.id)
    assert {
        (rows[s].status.value, rows[s].order_id, rows[s].hold_id) for s in (seats[0], seats[8])
    } == {("sold", order.id, None)}
    assert (await hold_row(hold_services, held.id)).status.value == "converted"
    with pytest.raises(SeatUnavailable):
        await hold(hold_services, scenario, [seats[0]], holder="bob")
    await assert_cache_matches(hold_services, scenario)


async def test_an_expired_or_foreign_hold_cannot_be_sold(
    hold_services: Services, clock: ManualClock
) -> None:
    scenario = await on_sale_scenario(hold_services)
    other = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    held = await hold(hold_services, scenario, seats[:1])
    with pytest.raises(NotFound):
        await sell_hold(hold_services, organization_id=other.org_id, hold_id=held.id)
    with pytest.raises(NotFound):
        await sell_hold(
            hold_services, organization_id=scenario.org_id, hold_id=held.id, holder_ref="bob"
        )
    clock.advance(600)
    with pytest.raises(HoldExpired):
        await sell_hold(hold_services, organization_id=scenario.org_id, hold_id=held.id)
    assert (await seat_rows(hold_services, scenario.event.id))[seats[0]].status.value == "held"


@pytest.mark.parametrize("operation", ["sell", "extend"])
async def test_a_hold_that_lost_a_seat_after_lapsing_is_not_sold_or_extended_in_part(
    hold_services: Services, clock: ManualClock, operation: str
) -> None:
    """Sell and extend read the time before they queue for the seats. A holder who pays just
    before expiry can find that a buyer who came just after took one seat of the lapsed hold:
    the whole sale (or extension) is refused, never a part of the seats, and nothing changes."""
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    held = await hold(hold_services, scenario, seats[:3])
    await release_seat(
        hold_services, organization_id=scenario.org_id, hold_id=held.id, seat_ids=[seats[2]]
    )
    clock.advance(601)  # lapsed: bob takes A1 over
    taken = await hold(hold_services, scenario, [seats[0]], holder="bob")
    clock.advance(-2)  # alice's request read the time one second before her hold lapsed
    with pytest.raises(HoldExpired, match="1 of its seats went to other buyers"):
        if operation == "sell":
            await sell_hold(hold_services, organization_id=scenario.org_id, hold_id=held.id)
        else:
            await extend_hold(hold_services, organization_id=scenario.org_id, hold_id=held.id)
    rows = await seat_rows(hold_services, scenario.event.id)
    assert (rows[seats[0]].hold_id, rows[seats[1]].hold_id) == (taken.id, held.id)
    assert rows[seats[1]].held_until == held.held_until
    assert (await hold_row(hold_services, held.id)).status.value == "active"
    await assert_cache_matches(hold_services, scenario)


async def test_refund_frees_the_seats_once(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    held = await hold(hold_services, scenario, seats[:2])
    order = await sell_hold(hold_services, organization_id=scenario.org_id, hold_id=held.id)
    refunded = await cancel_order(
        hold_services,
        organization_id=scenario.org_id,
        order_id=order.id,
        refund=True,
        actor="admin:test",
    )
    assert refunded.status == "refunded"
    again = await cancel_order(
        hold_services,
        organization_id=scenario.org_id,
        order_id=order.id,
        refund=True,
        actor="admin:test",
    )
    assert again.status == "refunded"
    with pytest.raises(OrderNotActive):
        await cancel_order(
            hold_services, organization_id=scenario.org_id, order_id=order.id, actor="admin:test"
        )
    rows = await seat_rows(hold_services, scenario.event.id)
    assert {rows[s].status.value for s in seats[:2]} == {"available"}
    assert (await hold(hold_services, scenario, seats[:2], holder="bob")).status == "active"
    await assert_cache_matches(hold_services, scenario)


async def test_block_and_unblock_seats_of_one_event(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    await hold(hold_services, scenario, [seats[1]])
    blocked = await block_seats(
        hold_services,
        organization_id=scenario.org_id,
        event_id=scenario.event.id,
        seat_ids=[seats[0]],
        actor="admin",
    )
    assert [s.seat_id for s in blocked] == [seats[0]]
    with pytest.raises(SeatUnavailable) as caught:
        await block_seats(
            hold_services,
            organization_id=scenario.org_id,
            event_id=scenario.event.id,
            seat_ids=[seats[1], seats[2]],
            actor="admin",
        )
    assert caught.value.refusals == {str(seats[1]): "held"}
    with pytest.raises(SeatUnavailable) as caught:
        await hold(hold_services, scenario, [seats[0]], holder="bob")
    assert caught.value.refusals == {str(seats[0]): "blocked"}
    with pytest.raises(SeatUnavailable) as caught:  # A4: a pillar in the layout
        await unblock_seats(
            hold_services,
            organization_id=scenario.org_id,
            event_id=scenario.event.id,
            seat_ids=[seats[3]],
            actor="admin",
        )
    assert caught.value.refusals == {str(seats[3]): "blocked_in_layout"}
    await unblock_seats(
        hold_services,
        organization_id=scenario.org_id,
        event_id=scenario.event.id,
        seat_ids=[seats[0]],
        actor="admin",
    )
    assert (await hold(hold_services, scenario, [seats[0]], holder="bob")).status == "active"
    inventory = await event_inventory(
        hold_services, organization_id=scenario.org_id, event_id=scenario.event.id
    )
    stalls = next(s for s in inventory.sections if s.name == "Stalls")
    assert (stalls.available, stalls.held, stalls.sold, stalls.blocked) == (5, 2, 0, 1)
    await assert_cache_matches(hold_services, scenario)


async def test_cancelling_the_event_expires_every_hold_at_once(hold_services: Services) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    first = await hold(hold_services, scenario, seats[:2], holder="a")
    second = await hold(hold_services, scenario, seats[4:5], holder="b")
    sold = await hold(hold_services, scenario, seats[5:6], holder="c")
    await sell_hold(hold_services, organization_id=scenario.org_id, hold_id=sold.id)
    await change_event_status(
        hold_services,
        organization_id=scenario.org_id,
        event_id=scenario.event.id,
        target=EventStatus.CANCELLED,
    )
    for held in (first, second):
        row = await hold_row(hold_services, held.id)
        assert (row.status.value, row.cancellation_reason) == ("expired", "event_cancelled")
    rows = await seat_rows(hold_services, scenario.event.id)
    assert [rows[s].status.value for s in seats[:6]] == [
        "available",
        "available",
        "available",
        "blocked",
        "available",
        "sold",
    ]
    with pytest.raises(EventNotOnSale):
        await hold(hold_services, scenario, seats[:1])
    await assert_cache_matches(hold_services, scenario)


async def test_postponed_keeps_holds_but_sells_nothing_until_rescheduled(
    hold_services: Services, clock: ManualClock
) -> None:
    scenario = await on_sale_scenario(hold_services)
    seats = await seat_ids(hold_services, scenario)
    held = await hold(hold_services, scenario, seats[:1])
    await change_event_status(
        hold_services,
        organization_id=scenario.org_id,
        event_id=scenario.event.id,
        target=EventStatus.POSTPONED,
    )
    assert (await hold_row(hold_services, held.id)).status.value == "active"
    with pytest.raises(EventNotOnSale, match="no new date"):
        await hold(hold_services, scenario, seats[1:2])
    with pytest.raises(EventNotOnSale, match="checkout closed"):
        await sell_hold(hold_services, organization_id=scenario.org_id, hold_id=held.id)
    await reschedule_event(
        hold_services,
        organization_id=scenario.org_id,
        event_id=scenario.event.id,
        start_at=clock() + timedelta(days=60),
        end_at=clock() + timedelta(days=60, hours=2),
    )
    order = await sell_hold(hold_services, organization_id=scenario.org_id, hold_id=held.id)
    assert order.status == "completed"
    assert (await hold(hold_services, scenario, seats[1:2])).status == "active"
