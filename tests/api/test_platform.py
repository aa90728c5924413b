"""Organisations and their API keys, through platform keys.

Pure bookkeeping (no seat state, no cache): embedded (SQLite) and database (PostgreSQL) modes
cover both databases; the Redis mode would only repeat the PostgreSQL run. Who may call what is
in test_access.py (platform keys act in no organisation; organisation keys manage none).
"""

from __future__ import annotations

import hashlib
import time
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from api.conftest import ApiWorld, bearer
from voelgoedevents.adapters.database.tables import ApiKey, IdempotencyRecord, Organization
from voelgoedevents.bootstrap import Services
from voelgoedevents.workflows import access

from support.api_checks import check_pagination, db_row, invalid, matches_row, problem
from support.clock import ManualClock
from support.factories import table_counts

pytestmark = pytest.mark.parametrize("hold_services", ["embedded", "database"], indirect=True)


def platform_caller(world: ApiWorld) -> Any:
    async def call(method: str, path: str, role: str = "", **kwargs: Any) -> httpx.Response:
        headers = {**bearer(world.platform), **kwargs.pop("headers", {})}
        return await world.client.request(method, path, headers=headers, **kwargs)

    return call


async def test_create_get_and_list_organisations(
    world: ApiWorld, hold_services: Services, clock: ManualClock
) -> None:
    call = platform_caller(world)
    made = await call(
        "POST",
        "/organizations",
        json={
            "name": "  Kaapstad Klank  ",
            "slug": "kaapstad-klank",
            "settings": {"hold_seconds": 300},
        },
    )
    assert made.status_code == 201, made.text
    organisation = made.json()
    assert (organisation["name"], organisation["slug"], organisation["status"]) == (
        "Kaapstad Klank",
        "kaapstad-klank",
        "active",
    )
    assert organisation["settings"] == {"hold_seconds": 300}
    row = await db_row(hold_services, Organization, organisation["id"])
    matches_row(organisation, row, "id", "name", "slug", "status", "settings", "created_at")
    assert row["created_at"] == clock.now
    fetched = await call("GET", f"/organizations/{organisation['id']}")
    assert fetched.status_code == 200 and fetched.json() == organisation

    expected = [world.organization_id, organisation["id"]]
    for step in range(4):  # two rows per instant: the cursor orders by time, then by id
        if step % 2 == 0:
            clock.advance(1)
        more = await call("POST", "/organizations", json={"name": "Org", "slug": f"org-x{step}"})
        expected.append(more.json()["id"])
    await check_pagination(call, "/organizations", expected, role="platform")
    listed = (await call("GET", "/organizations")).json()["items"]
    assert [(o["created_at"], o["id"]) for o in listed] == sorted(
        (o["created_at"], o["id"]) for o in listed
    )


async def test_organisation_refusals_change_nothing(
    world: ApiWorld, hold_services: Services
) -> None:
    call = platform_caller(world)
    slug = (await call("GET", f"/organizations/{world.organization_id}")).json()["slug"]
    before = await table_counts(hold_services)
    taken = await call("POST", "/organizations", json={"name": "Again", "slug": slug})
    problem(taken, 409, "conflict")
    for body, field in (
        ({"slug": "no-name"}, "name"),
        ({"name": "No slug"}, "slug"),
        ({"name": " ", "slug": "blank-name"}, "name"),
        ({"name": "x" * 201, "slug": "long-name"}, "name"),
        ({"name": "Bad", "slug": "Not A Slug"}, "slug"),
        ({"name": "Bad", "slug": "-dash-first"}, "slug"),
        ({"name": "Bad", "slug": "a" * 64}, "slug"),
        (
            {"name": "Bad", "slug": "bad-settings", "settings": {"hold_seconds": 5}},
            "settings.hold_seconds",
        ),
        ({"name": "Bad", "slug": "bad-settings", "settings": []}, "settings"),
        ({"name": "Bad", "slug": "extra", "owner": "me"}, "owner"),
        ([], "body"),
    ):
        invalid(await call("POST", "/organizations", json=body), field)
    for raw in (b"", b"{", b"null", b'{"name": "a", "slug": "b",}'):
        response = await call(
            "POST", "/organizations", content=raw, headers={"content-type": "application/json"}
        )
        invalid(response, "body")
    invalid(await call("GET", "/organizations/not-a-uuid"), "path.organization_id")
    assert await table_counts(hold_services) == before


async def test_a_key_is_shown_once_and_works_with_its_role(
    world: ApiWorld, hold_services: Services, clock: ManualClock
) -> None:
    call = platform_caller(world)
    path = f"/organizations/{world.organization_id}/keys"
    made = await call("POST", path, json={"name": " box office ", "role": "sales"})
    assert made.status_code == 201, made.text
    key, token = made.json()["key"], made.json()["token"]
    assert (key["name"], key["role"], key["organization_id"], key["revoked_at"]) == (
        "box office",
        "sales",
        world.organization_id,
        None,
    )
    assert token.startswith(f"vg_{key['prefix']}_") and len(token) > 40
    row = await db_row(hold_services, ApiKey, key["id"])
    matches_row(key, row, "id", "name", "prefix", "role", "organization_id", "created_at")
    secret = token.split("_", 2)[2]
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(row) and token not in str(row)  # only the hash is stored

    listed = await call("GET", path)
    assert listed.status_code == 200
    assert secret not in listed.text and "secret_hash" not in listed.text
    keys = listed.json()["items"]
    assert [k for k in keys if k["id"] == key["id"]] == [key]
    assert sorted(k["name"] for k in keys) == ["admin", "box office", "read", "sales"]
    for other in (f"/organizations/{world.organization_id}", "/organizations"):
        assert secret not in (await call("GET", other)).text

    venues = await world.client.get("/venues", headers=bearer(token))
    assert venues.status_code == 200 and [v["id"] for v in venues.json()["items"]] == [
        world.venue_id
    ]
    before = await table_counts(hold_services)
    problem(
        await world.client.post("/venues", headers=bearer(token), json={"name": "X"}),
        403,
        "forbidden",
    )
    assert await table_counts(hold_services) == before


async def test_a_token_is_never_stored_not_even_for_an_idempotent_retry(
    world: ApiWorld, hold_services: Services
) -> None:
    path = f"/organizations/{world.organization_id}/keys"
    retry = {**bearer(world.platform), "Idempotency-Key": "new-key-1"}
    body = {"name": "till", "role": "sales"}
    first = await world.client.post(path, headers=retry, json=body)
    again = await world.client.post(path, headers=retry, json=body)
    for made in (first, again):
        assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
        assert "idempotent-replayed" not in made.headers
    assert first.json()["token"] != again.json()["token"]  # shown once: a retry makes a new key
    async with hold_services.engine.connect() as connection:
        stored = (await connection.execute(sa.select(IdempotencyRecord.body))).scalars().all()
    for made in (first, again):
        secret = made.json()["token"].split("_", 2)[2].encode()
        assert not any(secret in (answer or b"") for answer in stored)
    listed = [k["id"] for k in (await platform_caller(world)("GET", path)).json()["items"]]
    assert {first.json()["key"]["id"], again.json()["key"]["id"]} <= set(listed)
    # Other writes are still answered from the record on a retry.
    retry["Idempotency-Key"] = "new-org-1"
    organisation = {"name": "Once", "slug": "once"}
    made, replayed = [
        await world.client.post("/organizations", headers=retry, json=organisation)
        for _ in range(2)
    ]
    assert (replayed.headers["idempotent-replayed"], replayed.json()) == ("true", made.json())


async def test_revoked_keys_get_401(
    world: ApiWorld, hold_services: Services, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = platform_caller(world)
    path = f"/organizations/{world.organization_id}/keys"
    used = (await call("POST", path, json={"name": "used", "role": "read"})).json()
    unused = (await call("POST", path, json={"name": "unused", "role": "admin"})).json()
    assert (await world.client.get("/events", headers=bearer(used["token"]))).status_code == 200

    clock.advance(60)
    for made in (used, unused):
        revoked = await call("POST", f"/keys/{made['key']['id']}/revoke")
        assert revoked.status_code == 200, revoked.text
        assert revoked.json() == {**made["key"], "revoked_at": revoked.json()["revoked_at"]}
        row = await db_row(hold_services, ApiKey, made["key"]["id"])
        assert row["revoked_at"] == clock.now
        matches_row(revoked.json(), row, "revoked_at")
    # A key never seen by this process is refused at once.
    problem(
        await world.client.get("/events", headers=bearer(unused["token"])), 401, "unauthenticated"
    )
    # One it checked a moment ago is trusted for at most AUTH_CACHE_SECONDS (docs/api.md: "within
    # 5 seconds"); step the authenticator's clock past that instead of sleeping.
    later = time.monotonic() + access.AUTH_CACHE_SECONDS + 1
    monkeypatch.setattr(access, "time", SimpleNamespace(monotonic=lambda: later))
    for made in (used, unused):
        for method, target in (("GET", "/events"), ("POST", "/venues")):
            response = await world.client.request(
                method, target, headers=bearer(made["token"]), json={"name": "V"}
            )
            problem(response, 401, "unauthenticated")

    first = (await db_row(hold_services, ApiKey, used["key"]["id"]))["revoked_at"]
    clock.advance(60)
    again = await call("POST", f"/keys/{used['key']['id']}/revoke")  # idempotent
    assert again.status_code == 200
    assert (await db_row(hold_services, ApiKey, used["key"]["id"]))["revoked_at"] == first
    listed = {k["id"]: k for k in (await call("GET", path)).json()["items"]}
    assert listed[used["key"]["id"]]["revoked_at"] is not None
    assert listed[world_key_id(listed, "admin")]["revoked_at"] is None


def world_key_id(listed: dict[str, dict[str, Any]], name: str) -> str:
    return next(key_id for key_id, key in listed.items() if key["name"] == name)


async def test_key_refusals_change_nothing(world: ApiWorld, hold_services: Services) -> None:
    call = platform_caller(world)
    path = f"/organizations/{world.organization_id}/keys"
    before = await table_counts(hold_services)
    for body, field in (
        ({"name": "boss", "role": "platform"}, "role"),  # platform keys belong to no organisation
        ({"name": "boss", "role": "owner"}, "role"),
        ({"name": "boss"}, "role"),
        ({"role": "read"}, "name"),
        ({"name": "  ", "role": "read"}, "name"),
        ({"name": "k" * 101, "role": "read"}, "name"),
        ({"name": "k", "role": "read", "secret": "mine"}, "secret"),
    ):
        invalid(await call("POST", path, json=body), field)
    invalid(await call("POST", "/keys/not-a-uuid/revoke"), "path.key_id")
    assert await table_counts(hold_services) == before
