"""Values Python holds but PostgreSQL cannot store are bad input, not server errors.

A NUL character in text or JSON, an integer past the 32-bit INTEGER columns, a time that cannot
be written in UTC: each must be a 422 naming the field (a layout document: a problem with its
path), with nothing stored, on both databases. PostgreSQL is the one that used to fail (500), so
the database mode is the one that matters; embedded shows SQLite refuses the same values rather
than storing what PostgreSQL never could. The Redis mode adds nothing here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from api.conftest import ApiWorld, bearer
from voelgoedevents.bootstrap import Services

from support.api_checks import invalid, problem
from support.factories import small_document, table_counts

pytestmark = pytest.mark.parametrize("hold_services", ["embedded", "database"], indirect=True)

TOO_BIG = 2**31  # one past PostgreSQL's INTEGER
NUL = "a\x00b"
BEFORE_YEAR_1_UTC = "0001-01-01T00:00:00+01:00"
AFTER_YEAR_9999_UTC = "9999-12-31T23:30:00-01:00"
DATES = {"start_at": "2030-05-01T14:00:00Z", "end_at": "2030-05-01T17:00:00Z"}


def _event(world: ApiWorld, **changes: Any) -> dict[str, Any]:
    return {"venue_id": world.venue_id, "name": "Show", "capacity": 10, **DATES, **changes}


def _document(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    document = copy.deepcopy(small_document())
    change(document)
    return document


def _standing(capacity: int) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["sections"][2]["capacity"] = capacity
        document["total_capacity"] = 12 + capacity

    return change


BAD_DOCUMENTS: list[tuple[Callable[[dict[str, Any]], None], str]] = [
    (lambda d: d.update(name=NUL), "name"),
    (lambda d: d.update(description=NUL), "description"),
    (lambda d: d.update(metadata={"note": NUL}), "metadata"),
    (lambda d: d.update(metadata={NUL: 1}), "metadata"),
    (lambda d: d["sections"][0].update(price_tier=NUL), "sections[0].price_tier"),
    (lambda d: d["sections"][1]["blocks"][0].update(name=NUL), "sections[1].blocks[0].name"),
    (
        lambda d: d["sections"][0]["blocks"][0]["seats"][0].update(number=NUL),
        "sections[0].blocks[0].seats[0].number",
    ),
    (
        lambda d: d["sections"][0]["blocks"][0]["seats"][1].update(metadata={"x": [NUL]}),
        "sections[0].blocks[0].seats[1].metadata",
    ),
    (_standing(TOO_BIG), "sections[2].capacity"),
    (
        lambda d: d["sections"][1]["blocks"][0].update(capacity=TOO_BIG),
        "sections[1].blocks[0].capacity",
    ),
]


async def test_unstorable_values_are_422_and_store_nothing(
    world: ApiWorld, hold_services: Services
) -> None:
    draft = await world.call("POST", f"/venues/{world.venue_id}/layouts", json=small_document())
    hold = await world.call(
        "POST",
        f"/events/{world.event_id}/holds",
        "sales",
        json={"seat_ids": world.seat_ids[:1], "holder_ref": "buyer"},
    )
    order = await world.call("POST", f"/holds/{hold.json()['id']}/order", "sales")
    postponed = (await world.call("POST", "/events", json=_event(world))).json()["id"]
    for action in ("publish", "postpone"):
        await world.call("POST", f"/events/{postponed}/{action}")
    platform = bearer(world.platform)
    keys_path = f"/organizations/{world.organization_id}/keys"
    cases: list[tuple[str, str, str, dict[str, Any], str]] = [
        ("platform", "POST", "/organizations", {"name": NUL, "slug": "nul"}, "name"),
        (
            "platform",
            "POST",
            "/organizations",
            {"name": "N", "slug": "n", "settings": {NUL: 1}},
            "settings",
        ),
        ("platform", "POST", keys_path, {"name": NUL, "role": "read"}, "name"),
        ("admin", "POST", "/venues", {"name": NUL}, "name"),
        ("admin", "POST", "/venues", {"name": "V", "address": NUL}, "address"),
        ("admin", "POST", "/venues", {"name": "V", "settings": {"a": {"b": NUL}}}, "settings"),
        ("admin", "POST", "/venues", {"name": "V", "capacity": TOO_BIG}, "capacity"),
        ("admin", "POST", "/events", _event(world, name=NUL), "name"),
        ("admin", "POST", "/events", _event(world, description=NUL), "description"),
        ("admin", "POST", "/events", _event(world, settings={"tag": NUL}), "settings"),
        ("admin", "POST", "/events", _event(world, capacity=TOO_BIG), "capacity"),
        ("admin", "POST", "/events", _event(world, start_at=BEFORE_YEAR_1_UTC), "start_at"),
        ("admin", "POST", "/events", _event(world, end_at=AFTER_YEAR_9999_UTC), "end_at"),
        (
            "admin",
            "POST",
            "/events",
            _event(world, sale_start_at=BEFORE_YEAR_1_UTC),
            "sale_start_at",
        ),
        (
            "admin",
            "POST",
            f"/events/{postponed}/reschedule",
            {**DATES, "start_at": BEFORE_YEAR_1_UTC},
            "start_at",
        ),
        (
            "admin",
            "POST",
            f"/events/{postponed}/reschedule",
            {**DATES, "sale_end_at": AFTER_YEAR_9999_UTC},
            "sale_end_at",
        ),
    ]
    ticket_types = f"/events/{world.event_id}/ticket-types"
    ga = {"name": "GA", "price": "1.00", "kind": "ga"}
    cases += [
        ("admin", "POST", ticket_types, {**ga, "name": NUL}, "name"),
        ("admin", "POST", ticket_types, {**ga, "total_quantity": TOO_BIG}, "total_quantity"),
        ("admin", "POST", ticket_types, {**ga, "sale_end_at": AFTER_YEAR_9999_UTC}, "sale_end_at"),
        (
            "admin",
            "POST",
            f"/events/{world.event_id}/seats/block",
            {"seat_ids": world.seat_ids[1:2], "reason": NUL},
            "reason",
        ),
        (
            "sales",
            "POST",
            f"/events/{world.event_id}/holds",
            {"seat_ids": world.seat_ids[1:2], "holder_ref": NUL},
            "holder_ref",
        ),
        ("admin", "POST", f"/orders/{order.json()['id']}/cancel", {"reason": NUL}, "reason"),
    ]
    before = await table_counts(hold_services)
    for role, method, path, body, field in cases:
        headers = platform if role == "platform" else world.headers(role)
        response = await world.client.request(method, path, headers=headers, json=body)
        invalid(response, field)
    for change, path in BAD_DOCUMENTS:
        for method, target in (
            ("POST", f"/venues/{world.venue_id}/layouts"),
            ("PUT", f"/layouts/{draft.json()['id']}/document"),
        ):
            response = await world.call(method, target, json=_document(change))
            body = problem(response, 422, "invalid_layout_document")
            assert path in [p["path"] for p in body["problems"]], (path, body)
    raw_key = b'{"name": "V", "settings": {"\\ud800": 1}}'  # a lone surrogate as a key
    response = await world.call(
        "POST", "/venues", content=raw_key, headers={"content-type": "application/json"}
    )
    invalid(response, "settings")
    assert await table_counts(hold_services) == before


async def test_the_largest_storable_values_are_accepted(world: ApiWorld) -> None:
    biggest = TOO_BIG - 1
    venue = await world.call("POST", "/venues", json={"name": "Stadium", "capacity": biggest})
    assert venue.status_code == 201 and venue.json()["capacity"] == biggest
    event = await world.call(
        "POST",
        "/events",
        json=_event(
            world, capacity=biggest, start_at="0001-01-01T00:00:00Z", end_at="9999-12-31T23:59:59Z"
        ),
    )
    assert event.status_code == 201, event.text
    fetched = (await world.call("GET", f"/events/{event.json()['id']}")).json()
    assert (fetched["capacity"], fetched["start_at"], fetched["end_at"]) == (
        biggest,
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    )
    layout = await world.call(
        "POST", f"/venues/{world.venue_id}/layouts", json=_document(_standing(biggest - 12))
    )
    assert layout.status_code == 201 and layout.json()["total_capacity"] == biggest
