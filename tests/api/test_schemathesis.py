"""schemathesis over the OpenAPI document, against the real server in its own process.

The server (`voelgoed serve`) runs on a free port against a fresh migrated PostgreSQL database of
its own and the run's Redis namespace. An organisation is seeded through the API beforehand
(with a venue, active and draft layouts, published and draft events, holds, an order, a ticket
type and keys), and the valid requests generated carry its real ids most of the time, so calls reach
past the 404s into the workflows. The schema is the running server's /openapi.json.

Every response must: never be a 5xx; have a status code the document lists for the operation;
have the documented content type; match the documented body schema. Each operation is a test of
its own, fuzzed with valid data and with invalid data; bounded (a cap on examples per operation
and mode) and deterministic (derandomized generation, no example database).

Driven through the documented strategy API (``operation.as_strategy()`` under Hypothesis's
``@given``) rather than ``schemathesis.pytest.from_fixture``: the latter sets
``request.node._nodeid``, which pytest 9.2 no longer has.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from voelgoedevents.bootstrap import build_services
from voelgoedevents.entrypoints.api.app import create_app
from voelgoedevents.settings import DatabaseSettings, HoldSettings, RedisSettings, load_settings

from .conftest import bearer
from .tenants import Tenant, build_tenant, event_body, ok
from support.factories import small_document
from support.live_server import LiveServer, live_server
from support.servers import REDIS_URL

# Per operation and mode: the whole file takes about a minute on 2 cores. Set
# VOELGOED_FUZZ_EXAMPLES for a deeper run (say 200) when hunting.
MAX_EXAMPLES = int(os.environ.get("VOELGOED_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The seat stream answers text/event-stream and never ends while the client listens: a
# request/response fuzzer cannot judge it. tests/api/test_tenancy.py opens it (and refuses it
# across organisations) with a client that reads the first event and hangs up.
STREAM = ("GET", "/events/{event_id}/seats/stream")
# Routes with this tag take a platform key; every other route takes the organisation's admin key.
PLATFORM_TAG = "organisations and keys"


def _operations() -> list[tuple[str, str]]:
    document = create_app(load_settings()).openapi()
    return sorted(
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    )


OPERATIONS = [operation for operation in _operations() if operation != STREAM]
# (mode, method, path) -> how often each status came back: the seeding is checked on it.
ANSWERS: dict[tuple[str, str, str], Counter[int]] = {}


@dataclass(frozen=True)
class Seeded:
    server: LiveServer
    tenant: Tenant
    platform: str
    pools: dict[str, list[str]]  # parameter name -> real ids to mix into generated values

    def token_for(self, tags: list[str] | None) -> str:
        return self.platform if PLATFORM_TAG in (tags or []) else self.tenant.keys["admin"]


@pytest.fixture(scope="module")
def server(redis_namespace: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # No rate limit: the fuzzer's bursts would otherwise be answered 429 (documented, so not a
    # failure, but it would stop the calls from reaching anything).
    with live_server(
        namespace=redis_namespace,
        log_dir=tmp_path_factory.mktemp("server"),
        extra_env={"VOELGOED_API_RATE_LIMIT_PER_SECOND": "0"},
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def seeded(server: LiveServer, redis_namespace: str) -> AsyncIterator[Seeded]:
    services = build_services(
        load_settings(
            database=DatabaseSettings(url=server.database_url, pool_size=2, max_overflow=0),
            redis=RedisSettings(url=REDIS_URL, namespace=redis_namespace),
            holds=HoldSettings(),
        )
    )
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            tenant = await build_tenant(client, services, real_clock=True)
            # More of what the fuzzer may cancel, archive or sell, so later operations still
            # find live things: a second event and a second hold.
            spare_event = ok(
                await tenant.call(
                    "POST",
                    "/events",
                    json={
                        "venue_id": tenant.venue_id,
                        "layout_id": tenant.layout_id,
                        "name": "Spare",
                        "start_at": "2031-01-01T19:00:00Z",
                        "end_at": "2031-01-01T22:00:00Z",
                    },
                ),
                201,
            )
            spare_hold = ok(
                await tenant.call(
                    "POST",
                    f"/events/{tenant.event_id}/holds",
                    "sales",
                    json={"seat_ids": tenant.free_seat_ids[-1:], "holder_ref": "spare"},
                ),
                201,
            )
        pools = {
            "organization_id": [tenant.organization_id],
            # Never the keys the fuzzer sends: revoking them would end the run.
            "key_id": [tenant.key_ids["read"], tenant.key_ids["sales"]],
            "venue_id": [tenant.venue_id],
            "layout_id": [tenant.layout_id, tenant.draft_layout_id],
            "event_id": [tenant.event_id, tenant.draft_event_id, spare_event["id"]],
            "hold_id": [tenant.hold_id, spare_hold["id"]],
            "order_id": [tenant.order_id],
            "seat_id": tenant.seat_ids[:4],
            "seat_ids": tenant.free_seat_ids,
            "section_id": [tenant.standing_section_id],
        }
        yield Seeded(server, tenant, tenant.platform, pools)
    finally:
        await services.aclose()


def _mixed(value: Any, pool: list[str]) -> st.SearchStrategy[Any]:
    """The generated value, or one of the real ids (most of the time)."""
    return st.sampled_from([*pool, value])


def _realistic_bodies(pools: dict[str, list[str]]) -> dict[tuple[str, str], Any]:
    """Bodies that pass the domain's rules (which a schema cannot say: dates in order, a seated
    ticket type's price tier, a whole layout document), offered beside the generated ones so
    valid requests reach the workflows, not only their 422s."""
    seats = st.lists(st.sampled_from(pools["seat_ids"]), min_size=1, max_size=3, unique=True)
    holder = st.sampled_from(["web-1", "box-office", "agent-7"])
    return {
        ("POST", "/events/{event_id}/holds"): st.one_of(
            st.fixed_dictionaries({"seat_ids": seats, "holder_ref": holder}),
            st.fixed_dictionaries(
                {
                    "section_id": st.sampled_from(pools["section_id"]),
                    "quantity": st.integers(1, 4),
                    "holder_ref": holder,
                }
            ),
        ),
        ("POST", "/events"): st.builds(
            lambda layout: {**event_body(pools["venue_id"][0], layout)},
            st.sampled_from([*pools["layout_id"], None]),
        ),
        ("POST", "/events/{event_id}/ticket-types"): st.fixed_dictionaries(
            {
                "name": st.sampled_from(["Stalls", "Balcony", "Standing"]),
                "price": st.sampled_from(["0.00", "150.00", "99.99"]),
                "kind": st.just("seated"),
                "price_tier": st.sampled_from(["A", "B"]),
            }
        ),
        ("POST", "/events/{event_id}/reschedule"): st.just(
            {"start_at": "2031-06-01T19:00:00Z", "end_at": "2031-06-01T22:00:00Z"}
        ),
        ("POST", "/venues/{venue_id}/layouts"): st.just(small_document("Fuzzed hall")),
        ("PUT", "/layouts/{layout_id}/document"): st.just(small_document("Fuzzed hall")),
    }


def _load(seeded: Seeded, mode: schemathesis.GenerationMode) -> Any:
    config = schemathesis.Config.from_dict(
        {
            "base-url": seeded.server.base_url,
            "generation": {
                # The key goes in each call (a platform or an organisation key by route);
                # generated credentials would only ever meet the 401.
                "with-security-parameters": False,
            },
            "request-timeout": 30,
        }
    )
    schema = schemathesis.openapi.from_url(f"{seeded.server.base_url}/openapi.json", config=config)
    if mode is not schemathesis.GenerationMode.POSITIVE:
        return schema  # invalid data stays invalid: no real ids swapped in
    pools = seeded.pools

    @schema.hook("flatmap_path_parameters")  # type: ignore[untyped-decorator]
    def real_path_ids(context: Any, path_parameters: Any) -> Any:
        if not isinstance(path_parameters, dict):
            return st.just(path_parameters)
        return st.fixed_dictionaries(
            {
                name: _mixed(value, pools[name]) if name in pools else st.just(value)
                for name, value in path_parameters.items()
            }
        )

    @schema.hook("flatmap_query")  # type: ignore[untyped-decorator]
    def real_query_ids(context: Any, query: Any) -> Any:
        if not isinstance(query, dict) or "venue_id" not in query:
            return st.just(query)
        return _mixed(query["venue_id"], pools["venue_id"]).map(
            lambda venue: {**query, "venue_id": venue}
        )

    realistic = _realistic_bodies(pools)

    @schema.hook("flatmap_body")  # type: ignore[untyped-decorator]
    def real_body_ids(context: Any, body: Any) -> Any:
        operation = (context.operation.method.upper(), context.operation.path)
        if not isinstance(body, dict):
            return st.just(body)
        fields: dict[str, st.SearchStrategy[Any]] = {}
        for name, value in body.items():
            if name == "seat_ids" and isinstance(value, list):
                real = st.lists(st.sampled_from(pools["seat_ids"]), min_size=1, max_size=3)
                fields[name] = st.one_of(
                    st.just(value), real.map(lambda ids: list(dict.fromkeys(ids)))
                )
            elif name in ("venue_id", "layout_id", "section_id") and isinstance(value, str):
                fields[name] = _mixed(value, pools[name])
            else:
                fields[name] = st.just(value)
        generated = st.fixed_dictionaries(fields)
        return st.one_of(generated, realistic[operation]) if operation in realistic else generated

    return schema


@pytest.fixture(scope="module")
def api_schemas(seeded: Seeded) -> dict[schemathesis.GenerationMode, Any]:
    """The running server's document, once per mode (hooks differ: see ``_load``)."""
    return {mode: _load(seeded, mode) for mode in schemathesis.GenerationMode}


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as kept_alive:
        yield kept_alive


# Writes run in the order of a real day: the seeded events are published, sold and only then
# postponed, ended, cancelled and archived (a cancelled event refuses everything after it).
LIFECYCLE = [
    ("POST", "/layouts/{layout_id}/activate"),
    ("POST", "/events/{event_id}/publish"),
    ("POST", "/events/{event_id}/holds"),
    ("POST", "/holds/{hold_id}/extend"),
    ("POST", "/holds/{hold_id}/order"),
    ("POST", "/holds/{hold_id}/release"),
    ("POST", "/events/{event_id}/seats/block"),
    ("POST", "/events/{event_id}/seats/unblock"),
    ("POST", "/orders/{order_id}/cancel"),
    ("POST", "/events/{event_id}/go-live"),
    ("POST", "/events/{event_id}/postpone"),
    ("POST", "/events/{event_id}/reschedule"),
    ("POST", "/events/{event_id}/end"),
    ("POST", "/events/{event_id}/cancel"),
    ("POST", "/events/{event_id}/archive"),
    ("POST", "/layouts/{layout_id}/archive"),
    ("POST", "/keys/{key_id}/revoke"),
]


def _cases() -> list[Any]:
    """Every operation with valid data; those with any input also with invalid data."""
    document = create_app(load_settings()).openapi()
    cases = []
    ordered = sorted(OPERATIONS, key=lambda op: LIFECYCLE.index(op) + 1 if op in LIFECYCLE else 0)
    for method, path in ordered:
        operation = document["paths"][path][method.lower()]
        modes = [schemathesis.GenerationMode.POSITIVE]
        if operation.get("parameters") or operation.get("requestBody"):
            modes.append(schemathesis.GenerationMode.NEGATIVE)
        cases += [
            pytest.param(mode, method, path, id=f"{mode.value} {method} {path}") for mode in modes
        ]
    return cases


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "method", "path"), _cases())
def test_every_answer_is_documented_and_none_is_a_server_error(
    mode: schemathesis.GenerationMode,
    method: str,
    path: str,
    api_schemas: dict[schemathesis.GenerationMode, Any],
    seeded: Seeded,
    session: requests.Session,
) -> None:
    operation = api_schemas[mode][path][method]
    headers = bearer(seeded.token_for(operation.tags))

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: schemathesis.Case) -> None:
        response = case.call_and_validate(session=session, headers=headers, checks=CHECKS)
        ANSWERS.setdefault((mode.value, method, path), Counter())[response.status_code] += 1

    try:
        fuzz()
    except BaseException:
        # A 500's traceback is in the server's own log.
        print(_errors_in(seeded.server.log_tail(400)))
        raise


def _errors_in(log: str) -> str:
    errors = [line for line in log.splitlines() if re.search(r'"level": "error"', line)]
    return "\n".join(errors)[-6000:]


@pytest.mark.slow
def test_the_seeded_ids_took_the_calls_past_not_found(api_schemas: Any) -> None:
    """Runs after the fuzzing above (file order): with real ids mixed in, valid requests
    succeed on most operations, so the checks above judged real answers, not only 404s."""
    positive = {key[1:]: answers for key, answers in ANSWERS.items() if key[0] == "positive"}
    assert len(positive) == len(OPERATIONS), "run the whole file: the fuzzing has not all run"
    succeeded = sorted(op for op, answers in positive.items() if any(s < 300 for s in answers))
    failed_to = sorted(set(positive) - set(succeeded))
    assert len(succeeded) >= 0.8 * len(OPERATIONS), failed_to


def test_the_server_documents_exactly_the_operations_fuzzed(api_schemas: Any) -> None:
    """Every operation the running server documents is fuzzed above, the stream aside."""
    schema = api_schemas[schemathesis.GenerationMode.POSITIVE]
    served = sorted(
        (operation.method.upper(), operation.path)
        for result in schema.get_all_operations()
        for operation in [result.ok()]
    )
    assert [operation for operation in served if operation != STREAM] == OPERATIONS
    assert STREAM in served
    assert len(OPERATIONS) >= 45


# --- what the fuzzer found, pinned (over the ASGI app, in every engine mode) --------------------

UNSTORABLE = [
    '{"name": "Hall", "settings": {"k\\u0000": 1}}',  # NUL in a key
    '{"name": "Hall", "settings": {"k": ["\\u0000"]}}',  # nested
    '{"name": "Hall", "settings": {"k": "\\udc00"}}',  # an unpaired surrogate
    '{"name": "Hall", "settings": {"k": NaN}}',  # json.loads reads these three, jsonb refuses
    '{"name": "Hall", "settings": {"k": -Infinity}}',
    '{"name": "Hall", "settings": {"k": 1e400}}',  # beyond a double: read as inf
]


async def test_settings_the_database_cannot_store_are_a_422_not_a_500(world: Any) -> None:
    """PostgreSQL refuses \\u0000 and non-finite numbers in jsonb: such settings answered 500
    once they reached it. Every mode answers the same 422 naming the field, storing nothing."""
    before = (await world.call("GET", "/venues", "read")).json()
    for body in UNSTORABLE:
        answer = await world.call(
            "POST", "/venues", content=body.encode(), headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert (problem["code"], problem["errors"][0]["field"]) == ("invalid_input", "settings")
    assert (await world.call("GET", "/venues", "read")).json() == before


async def test_a_layout_document_with_infinite_metadata_is_refused_with_its_path(
    world: Any,
) -> None:
    document = json.dumps(small_document()).replace(
        '"name": "Balcony"', '"name": "Balcony", "metadata": {"rake": 1e400}'
    )
    answer = await world.call(
        "POST",
        f"/venues/{world.venue_id}/layouts",
        content=document.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "invalid_layout_document"
    assert [p["path"] for p in problem["problems"]] == ["sections[1].metadata"]
    layouts = (await world.call("GET", f"/layouts?venue_id={world.venue_id}", "read")).json()
    assert [layout["id"] for layout in layouts["items"]] == [world.layout_id]


UNREADABLE = [
    ('{"name": "Caf\xe9"}'.encode("latin-1"), "not UTF-8"),  # the fuzzer's find
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"name": "Hall", "capacity": 1' + b"0" * 5_000 + b"}", "integer"),
]


async def test_a_body_that_cannot_be_read_is_a_documented_422(world: Any) -> None:
    """FastAPI answers these with a bare 400, which the document does not list (a JSON syntax
    error is its 422); each is now the same 422 as any other body that is not JSON."""
    before = (await world.call("GET", "/venues", "read")).json()
    for body, why in UNREADABLE:
        answer = await world.call(
            "POST", "/venues", content=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 422, (why, answer.text)
        problem = answer.json()
        assert (problem["code"], problem["errors"][0]["field"]) == ("invalid_input", "body")
        assert why in problem["detail"], problem
    assert (await world.call("GET", "/venues", "read")).json() == before


async def test_text_beyond_ascii_still_goes_in(world: Any) -> None:
    """The guard is no wider than it must be: escaped non-ASCII and surrogate pairs are text."""
    body = (
        '{"name": "Zo\\u00eb \\ud83c\\udfad", "settings": {"note": "\\\\u0000 is shown, not sent"}}'
    )
    answer = await world.call(
        "POST", "/venues", content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["name"] == "Zoë 🎭"
    assert answer.json()["settings"] == {"note": "\\u0000 is shown, not sent"}
