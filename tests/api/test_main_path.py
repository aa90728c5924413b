"""The API's main path end to end: hold, retry, refuse, sell, and the map agrees."""

from __future__ import annotations

import base64


async def test_hold_retry_refuse_sell(world) -> None:  # type: ignore[no-untyped-def]
    seats = world.seat_ids[:2]
    body = {"seat_ids": seats, "holder_ref": "alice"}
    held = await world.call(
        "POST",
        f"/events/{world.event_id}/holds",
        "sales",
        json=body,
        headers={"Idempotency-Key": "k-1"},
    )
    assert held.status_code == 201, held.text
    hold = held.json()
    assert [(s["section"], s["row"], s["number"]) for s in hold["seats"]] == [
        ("Stalls", "A", "1"),
        ("Stalls", "A", "2"),
    ]
    assert hold["seconds_left"] == 600
    again = await world.call(
        "POST",
        f"/events/{world.event_id}/holds",
        "sales",
        json=body,
        headers={"Idempotency-Key": "k-1"},
    )
    assert (again.status_code, again.json()["id"], again.headers["idempotent-replayed"]) == (
        201,
        hold["id"],
        "true",
    )
    refused = await world.call(
        "POST",
        f"/events/{world.event_id}/holds",
        "sales",
        json={"seat_ids": seats[:1], "holder_ref": "bob"},
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "seat_unavailable"
    assert refused.json()["seats"] == {seats[0]: "held"}
    order = await world.call("POST", f"/holds/{hold['id']}/order", "sales")
    assert order.status_code == 201 and order.json()["status"] == "completed"
    inventory = (await world.call("GET", f"/events/{world.event_id}/inventory", "read")).json()
    states = base64.b64decode(inventory["states"])
    assert states[0] >> 6 == 2 and (states[0] >> 4) & 3 == 2  # seats 0 and 1: sold
    stalls = next(s for s in inventory["sections"] if s["name"] == "Stalls")
    assert (stalls["sold"], stalls["blocked"]) == (2, 1)
