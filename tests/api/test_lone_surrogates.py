"""A lone surrogate in any text a request carries is bad input, in every operation.

`POST /orders/{id}/cancel` with `{"reason": "\\ud800"}` answered 500 (the database driver cannot
encode the text, and the connection was dropped), while 16 other fields refused the same value
with a 422. This walks every operation of the OpenAPI document the server publishes: each text
field of each request body (nested ones, list items, JSON object keys and values) is sent a lone
surrogate inside an otherwise valid body, and every text parameter (path, query, header) one
that cannot be decoded. Each answer must be a 4xx problem (a body field: 422), never a 500, and
nothing may be stored. A new operation or field is walked without touching this test; a new
operation with a body needs its valid body below.

PostgreSQL: the database whose driver refused the text.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from api.conftest import ApiWorld, bearer
from voelgoedevents.bootstrap import Services

from support.api import hold_ok, sell_ok
from support.api_checks import PROBLEM
from support.factories import small_document, table_counts

POSTGRES = pytest.mark.parametrize("hold_services", ["database"], indirect=True)

LONE = "\ud800"
# What a client can put in a URL or a header in place of a lone surrogate: its would-be UTF-8
# bytes, which are not UTF-8 at all.
UNDECODABLE_URL = "%ED%A0%80"
UNDECODABLE_HEADER = b"\xed\xa0\x80"
KEY, VALUE = "<key>", "<value>"  # a leaf of a JSON object: one of its keys, one of its values
STREAM = ("get", "/events/{event_id}/seats/stream")
DATES = {"start_at": "2030-06-01T19:00:00Z", "end_at": "2030-06-01T22:00:00Z"}

Body = Callable[[ApiWorld], dict[str, Any]]
VALID_BODIES: dict[tuple[str, str], Body] = {
    ("post", "/organizations"): lambda w: {"name": "Org", "slug": "org-lone"},
    ("post", "/organizations/{organization_id}/keys"): lambda w: {"name": "k", "role": "read"},
    ("post", "/venues"): lambda w: {"name": "Hall", "settings": {"a": "b"}},
    ("post", "/venues/{venue_id}/layouts"): lambda w: small_document(),
    ("put", "/layouts/{layout_id}/document"): lambda w: small_document(),
    ("post", "/events"): lambda w: {
        "venue_id": w.venue_id,
        "layout_id": w.layout_id,
        "name": "Show",
        "description": "",
        **DATES,
    },
    ("post", "/events/{event_id}/reschedule"): lambda w: dict(DATES),
    ("post", "/events/{event_id}/ticket-types"): lambda w: {
        "name": "GA",
        "price": "1.00",
        "kind": "ga",
    },
    ("post", "/events/{event_id}/seats/block"): lambda w: {"seat_ids": w.seat_ids[8:9]},
    ("post", "/events/{event_id}/seats/unblock"): lambda w: {"seat_ids": w.seat_ids[8:9]},
    ("post", "/events/{event_id}/holds"): lambda w: {
        "seat_ids": w.seat_ids[9:10],
        "holder_ref": "buyer",
    },
    ("post", "/holds/{hold_id}/release"): lambda w: {},
    ("post", "/orders/{order_id}/cancel"): lambda w: {"refund": True},
}


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> tuple[dict[str, Any], str]:
    reference = schema.get("$ref", "")
    name = reference.rsplit("/", 1)[-1]
    return (components[name], name) if reference else (schema, "")


def text_leaves(
    schema: dict[str, Any], components: dict[str, Any], seen: frozenset[str] = frozenset()
) -> Iterator[tuple[Any, ...]]:
    """The paths of every place in a body of this schema that may hold text: property names,
    0 for a list's item, KEY or VALUE for a JSON object's keys and values."""
    schema, name = _resolve(schema, components)
    if name in seen:
        return
    seen = seen | {name} if name else seen
    options = schema.get("anyOf", []) + schema.get("oneOf", [])
    kinds = {option.get("type") for option in options} | {schema.get("type")}
    if "string" in kinds or "enum" in schema or not (schema.keys() - {"title", "description"}):
        yield ()  # a string, an enum, or any JSON value at all
    for option in options:
        if option.get("type") not in ("string", "null"):
            yield from text_leaves(option, components, seen)
    for prop, sub in schema.get("properties", {}).items():
        for rest in text_leaves(sub, components, seen):
            yield (prop, *rest)
    if isinstance(schema.get("additionalProperties"), dict):
        yield (KEY,)
        for rest in text_leaves(schema["additionalProperties"], components, seen):
            yield (VALUE, *rest)
    if "items" in schema:
        for rest in text_leaves(schema["items"], components, seen):
            yield (0, *rest)


def with_text_at(body: Any, path: tuple[Any, ...], text: str) -> Any:
    """A copy of ``body`` with ``text`` at ``path``, making what the path needs on the way."""
    if not path:
        return text
    step, rest = path[0], path[1:]
    if step == KEY:
        return {text: 1}
    if step == VALUE:
        return {"k": with_text_at(None, rest, text)}
    if step == 0:
        items = copy.deepcopy(body) if isinstance(body, list) and body else [None]
        items[0] = with_text_at(items[0], rest, text)
        return items
    changed = copy.deepcopy(body) if isinstance(body, dict) else {}
    changed[step] = with_text_at(changed.get(step), rest, text)
    return changed


async def _ids(world: ApiWorld) -> dict[str, str]:
    """A real id for every path parameter, so a request gets past its lookups."""
    hold = await hold_ok(world, world.seat_ids[:1])
    order = await sell_ok(world, (await hold_ok(world, world.seat_ids[1:2]))["id"])
    keys = await world.client.get(
        f"/organizations/{world.organization_id}/keys", headers=bearer(world.platform)
    )
    return {
        "organization_id": world.organization_id,
        "venue_id": world.venue_id,
        "layout_id": world.layout_id,
        "event_id": world.event_id,
        "seat_id": world.seat_ids[0],
        "hold_id": hold["id"],
        "order_id": order["id"],
        "key_id": keys.json()["items"][-1]["id"],
    }


def _url(template: str, ids: dict[str, str], **replace: str) -> str:
    return template.format(**{**ids, **replace})


def _refused(answer: httpx.Response, where: str, *, status: int | None = None) -> None:
    assert 400 <= answer.status_code < 500, (where, answer.status_code, answer.text)
    assert status is None or answer.status_code == status, (where, answer.text)
    assert answer.headers["content-type"] == PROBLEM, (where, answer.headers)


@POSTGRES
async def test_every_text_field_and_parameter_refuses_a_lone_surrogate(
    world: ApiWorld, hold_services: Services
) -> None:
    ids = await _ids(world)
    draft = await world.call("POST", f"/venues/{world.venue_id}/layouts", json=small_document())
    spec = (await world.client.get("/openapi.json")).json()
    components = spec["components"]["schemas"]
    with_body = {
        (method, path)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    }
    assert with_body == set(VALID_BODIES), "give each operation with a body a valid one here"
    before = await table_counts(hold_services)
    walked = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            tags = operation.get("tags", [])
            token = world.platform if "organisations and keys" in tags else world.keys["admin"]
            headers = bearer(token)
            own = dict(ids)
            if (method, path) == ("put", "/layouts/{layout_id}/document"):
                own["layout_id"] = draft.json()["id"]  # a draft: its document may change
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                name, place = parameter["name"], parameter["in"]
                if not list(text_leaves(parameter["schema"], components)):
                    continue
                url, sent = _url(path, own), dict(headers)
                if place == "path":
                    url = _url(path, own, **{name: UNDECODABLE_URL})
                elif place == "query":
                    url = f"{url}?{name}={UNDECODABLE_URL}"
                else:
                    sent[name] = UNDECODABLE_HEADER  # type: ignore[assignment]
                body = VALID_BODIES.get((method, path))
                content = json.dumps(body(world)) if body else None
                answer = await world.client.request(
                    method,
                    url,
                    headers={**sent, "content-type": "application/json"},
                    content=content,
                )
                _refused(answer, f"{where} {place} {name}")
                walked += 1
            if (method, path) == STREAM or (method, path) not in VALID_BODIES:
                continue
            valid = VALID_BODIES[(method, path)](world)
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            for leaf in text_leaves(schema, components):
                if not leaf:
                    continue
                body = with_text_at(valid, leaf, LONE)
                answer = await world.client.request(
                    method,
                    _url(path, own),
                    headers={**headers, "content-type": "application/json"},
                    content=json.dumps(body),  # ASCII, with the surrogate as a \\ud800 escape
                )
                _refused(answer, f"{where} body {leaf}", status=422)
                walked += 1
    assert walked > 100, walked  # the walk reached the fields, not just the operations
    assert await table_counts(hold_services) == before


def test_the_walk_finds_nested_fields_keys_and_list_items() -> None:
    """The walker itself, on a small schema: what it must reach, and the bodies it makes."""
    components = {
        "Seat": {
            "type": "object",
            "properties": {"row": {"type": "string"}, "n": {"type": "integer"}},
        },
        "Doc": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "seats": {"type": "array", "items": {"$ref": "#/components/schemas/Seat"}},
                "meta": {"type": "object", "additionalProperties": {}},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
        },
    }
    leaves = list(text_leaves({"$ref": "#/components/schemas/Doc"}, components))
    assert leaves == [
        ("name",),
        ("tags", 0),
        ("seats", 0, "row"),
        ("meta", KEY),
        ("meta", VALUE),
        ("note",),
    ]
    valid = {"name": "a", "seats": [{"row": "A", "n": 1}, {"row": "B", "n": 2}]}
    assert with_text_at(valid, ("seats", 0, "row"), LONE)["seats"] == [
        {"row": LONE, "n": 1},
        {"row": "B", "n": 2},
    ]
    assert with_text_at(valid, ("meta", KEY), LONE)["meta"] == {LONE: 1}
    assert with_text_at(valid, ("tags", 0), LONE)["tags"] == [LONE]
    assert valid["seats"][0]["row"] == "A"  # the valid body is left as it was
