"""Venues: create, read, list; bad bodies refused whole.

Bookkeeping only: embedded (SQLite) and database (PostgreSQL) modes cover both databases.
"""

from __future__ import annotations

import pytest

from api.conftest import ApiWorld
from voelgoedevents.adapters.database.tables import Venue
from voelgoedevents.bootstrap import Services

from support.api_checks import check_pagination, db_row, invalid, matches_row
from support.clock import ManualClock
from support.factories import table_counts

pytestmark = pytest.mark.parametrize("hold_services", ["embedded", "database"], indirect=True)

FULL = {
    "name": "  Artscape  ",
    "address": "DF Malan St",
    "city": "Cape Town",
    "country": "ZA",
    "postal_code": "8001",
    "timezone": "Africa/Johannesburg",
    "capacity": 1500,
    "settings": {"max_seats_per_booking": 6},
}
FIELDS = ("id", "name", "address", "city", "country", "postal_code")
FIELDS += ("timezone", "capacity", "settings", "status", "created_at")


async def test_create_read_and_list_venues(
    world: ApiWorld, hold_services: Services, clock: ManualClock
) -> None:
    made = await world.call("POST", "/venues", json=FULL)
    assert made.status_code == 201, made.text
    venue = made.json()
    assert venue == {
        **FULL,
        "name": "Artscape",
        "id": venue["id"],
        "status": "active",
        "created_at": venue["created_at"],
    }
    row = await db_row(hold_services, Venue, venue["id"])
    matches_row(venue, row, *FIELDS)
    assert str(row["organization_id"]) == world.organization_id  # the key's, never the body's
    for role in ("admin", "sales", "read"):
        fetched = await world.call("GET", f"/venues/{venue['id']}", role)
        assert fetched.status_code == 200 and fetched.json() == venue

    minimal = (await world.call("POST", "/venues", json={"name": "Shed"})).json()
    assert (minimal["timezone"], minimal["capacity"], minimal["settings"]) == (
        "Africa/Johannesburg",
        0,
        {},
    )
    expected = [world.venue_id, venue["id"], minimal["id"]]
    for number in range(3):
        clock.advance(0.5)
        made = await world.call("POST", "/venues", json={"name": f"Hall {number}"})
        expected.append(made.json()["id"])
    await check_pagination(world.call, "/venues", expected)


async def test_bad_venues_are_refused_and_nothing_is_stored(
    world: ApiWorld, hold_services: Services
) -> None:
    before = await table_counts(hold_services)
    for body, field in (
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "V", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "V", "capacity": -1}, "capacity"),
        ({"name": "V", "capacity": "lots"}, "capacity"),
        ({"name": "V", "postal_code": "1" * 21}, "postal_code"),
        ({"name": "V", "owner": "me"}, "owner"),
        ({"name": "V", "organization_id": world.organization_id}, "organization_id"),
    ):
        invalid(await world.call("POST", "/venues", json=body), field)
    response = await world.call(
        "POST", "/venues", content=b"{", headers={"content-type": "application/json"}
    )
    assert "malformed JSON" in invalid(response, "body")["detail"]
    assert await table_counts(hold_services) == before
