"""Layouts through the API: import, export, replace, lifecycle, copy, structure, lists.

A layout is structure only (no seat state, nothing cached in Redis), so embedded (SQLite) and
database (PostgreSQL) modes cover it; the Redis mode would repeat the PostgreSQL run.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from api.conftest import ApiWorld
from voelgoedevents.adapters.database.tables import Block, Layout, Seat, Section
from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.seating.layout import LayoutDocument

from support.api_checks import check_pagination, db_row, invalid, matches_row, problem, scalar
from support.factories import seat, small_document, table_counts

pytestmark = pytest.mark.parametrize("hold_services", ["embedded", "database"], indirect=True)

LAYOUT_FIELDS = ("id", "venue_id", "name", "description", "status", "version", "lineage_id")
LAYOUT_FIELDS += ("total_capacity", "seat_count", "created_at", "updated_at")


async def _import(world: ApiWorld, document: Any, venue: str | None = None) -> dict[str, Any]:
    made = await world.call("POST", f"/venues/{venue or world.venue_id}/layouts", json=document)
    assert made.status_code == 201, made.text
    return dict(made.json())


async def _export(world: ApiWorld, layout_id: str) -> dict[str, Any]:
    response = await world.call("GET", f"/layouts/{layout_id}/document", "read")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return dict(response.json())


async def _structure(world: ApiWorld, layout_id: str) -> tuple[list[Any], list[Any]]:
    sections = (await world.call("GET", f"/layouts/{layout_id}/sections", "read")).json()["items"]
    seats = (await world.call("GET", f"/layouts/{layout_id}/seats", "read")).json()["items"]
    return sections, seats


async def _rows(services: Services, table: Any, layout_id: str) -> int:
    statement = sa.select(sa.func.count()).where(table.layout_id == uuid.UUID(layout_id))
    return int(await scalar(services, statement.select_from(table)))


def stage_document() -> dict[str, Any]:
    """One seated section of two rows (A: 3 seats, B: 2), no standing area: 5 seats."""
    return {
        "name": "Studio",
        "total_capacity": 5,
        "metadata": {"source": "test"},
        "sections": [
            {
                "name": "Floor",
                "type": "seated",
                "capacity": 5,
                "blocks": [
                    {"name": "Row A", "capacity": 3, "seats": [seat("A", n) for n in (1, 2, 3)]},
                    {"name": "Row B", "capacity": 2, "seats": [seat("B", n) for n in (1, 2)]},
                ],
            }
        ],
    }


async def test_import_stores_the_whole_structure(world: ApiWorld, hold_services: Services) -> None:
    layout = await _import(world, small_document("Main hall"))
    assert (layout["name"], layout["status"], layout["version"]) == ("Main hall", "draft", 1)
    assert (layout["total_capacity"], layout["seat_count"], layout["lineage_id"]) == (
        62,
        12,
        layout["id"],
    )
    matches_row(layout, await db_row(hold_services, Layout, layout["id"]), *LAYOUT_FIELDS)
    fetched = await world.call("GET", f"/layouts/{layout['id']}", "read")
    assert fetched.status_code == 200 and fetched.json() == layout

    sections, seats = await _structure(world, layout["id"])
    assert [(s["name"], s["section_type"], s["capacity"], s["price_tier"]) for s in sections] == [
        ("Stalls", "seated", 8, "A"),
        ("Balcony", "seated", 4, "B"),
        ("Standing", "standing", 50, "C"),
    ]
    assert [[(b["name"], b["capacity"]) for b in s["blocks"]] for s in sections] == [
        [("Row A", 4), ("Row B", 4)],
        [("Row C", 5)],
        [],
    ]
    assert [s["index"] for s in seats] == list(range(12))
    assert [s["row"] + s["number"] for s in seats] == [
        f"{row}{n}" for row in "ABC" for n in range(1, 5)
    ]
    assert [
        (s["category"], s["status"])
        for s in seats
        if s["category"] != "standard" or s["status"] != "available"
    ] == [
        ("aisle", "available"),
        ("standard", "blocked"),
        ("wheelchair", "available"),
    ]
    stalls = sections[0]
    assert {s["block_id"] for s in seats[:8]} == {b["id"] for b in stalls["blocks"]}
    assert {s["section_id"] for s in seats[:8]} == {stalls["id"]}
    for table, count in ((Section, 3), (Block, 3), (Seat, 12)):
        assert await _rows(hold_services, table, layout["id"]) == count


def _with_rule_problems() -> dict[str, Any]:
    document = small_document()
    document["total_capacity"] = 70  # the sections hold 63
    document["sections"][1]["name"] = "Stalls"  # a second "Stalls"
    document["sections"][0]["capacity"] = 9  # 8 seats
    document["sections"][0]["blocks"][1]["seats"][1] = seat("B", 1)  # B1 twice
    document["sections"][1]["blocks"][0]["capacity"] = 3  # 4 seats
    document["sections"][2]["blocks"] = [{"name": "Pit", "capacity": 1}]
    return document


def _with_structural_problems() -> dict[str, Any]:
    document = small_document()
    del document["name"]
    document["sections"][0]["type"] = "floating"
    document["sections"][0]["blocks"][0]["seats"][2]["category"] = "throne"
    document["sections"][1]["blocks"][0]["seats"][0]["x"] = "left"
    document["colour"] = "red"
    return document


BAD_DOCUMENTS = [
    (
        _with_rule_problems(),
        {
            "total_capacity",
            "sections[1].name",
            "sections[0].capacity",
            "sections[0].blocks[1].seats[1]",
            "sections[1].blocks[0].seats",
            "sections[2].blocks",
        },
    ),
    (
        _with_structural_problems(),
        {
            "name",
            "sections[0].type",
            "sections[0].blocks[0].seats[2].category",
            "sections[1].blocks[0].seats[0].x",
            "colour",
        },
    ),
    ({**small_document(), "sections": []}, {"sections"}),
    ([small_document()], {""}),
    (b'{"name": "cut off', {""}),
]


def _send_document(world: ApiWorld, method: str, path: str, document: Any) -> Any:
    if isinstance(document, bytes):
        headers = {"content-type": "application/json"}
        return world.call(method, path, content=document, headers=headers)
    return world.call(method, path, json=document)


async def test_bad_documents_list_every_problem_and_store_nothing(
    world: ApiWorld, hold_services: Services
) -> None:
    draft = await _import(world, stage_document())
    draft_document = await _export(world, draft["id"])
    before = await table_counts(hold_services)
    for document, paths in BAD_DOCUMENTS:
        for method, path in (
            ("POST", f"/venues/{world.venue_id}/layouts"),
            ("PUT", f"/layouts/{draft['id']}/document"),
        ):
            response = await _send_document(world, method, path, document)
            body = problem(response, 422, "invalid_layout_document")
            assert {p["path"] for p in body["problems"]} == paths, body["problems"]
            assert all(p["reason"] for p in body["problems"])
    assert await table_counts(hold_services) == before
    assert await _export(world, draft["id"]) == draft_document
    layout = await world.call("GET", f"/layouts/{draft['id']}")
    assert layout.json() == draft


async def test_export_imports_back_to_the_same_layout(world: ApiWorld) -> None:
    exported = await _export(world, world.layout_id)
    assert LayoutDocument.model_validate(exported) == LayoutDocument.model_validate(
        small_document()
    )
    again = await _import(world, exported)
    assert await _export(world, again["id"]) == exported
    (sections, seats), (new_sections, new_seats) = [
        await _structure(world, layout) for layout in (world.layout_id, again["id"])
    ]

    def shape(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ignored = {"id", "section_id", "block_id", "blocks"}
        return [{k: v for k, v in item.items() if k not in ignored} for item in items]

    assert shape(new_sections) == shape(sections) and shape(new_seats) == shape(seats)
    assert not {s["id"] for s in seats} & {s["id"] for s in new_seats}


async def test_replace_a_drafts_document(world: ApiWorld, hold_services: Services) -> None:
    draft = await _import(world, small_document())
    old_seats = {s["id"] for s in (await _structure(world, draft["id"]))[1]}
    replaced = await world.call("PUT", f"/layouts/{draft['id']}/document", json=stage_document())
    assert replaced.status_code == 200, replaced.text
    layout = replaced.json()
    assert (layout["id"], layout["name"], layout["status"]) == (draft["id"], "Studio", "draft")
    assert (layout["total_capacity"], layout["seat_count"], layout["version"]) == (5, 5, 1)
    matches_row(layout, await db_row(hold_services, Layout, draft["id"]), *LAYOUT_FIELDS)
    assert LayoutDocument.model_validate(
        await _export(world, draft["id"])
    ) == LayoutDocument.model_validate(stage_document())
    sections, seats = await _structure(world, draft["id"])
    assert [s["name"] for s in sections] == ["Floor"] and len(seats) == 5
    assert not old_seats & {s["id"] for s in seats}  # the old structure is gone
    for table, count in ((Section, 1), (Block, 2), (Seat, 5)):
        assert await _rows(hold_services, table, draft["id"]) == count


async def test_only_a_draft_can_be_replaced(world: ApiWorld, hold_services: Services) -> None:
    archived = await _import(world, stage_document())
    await world.call("POST", f"/layouts/{archived['id']}/archive")
    for layout_id, status in ((world.layout_id, "active"), (archived["id"], "archived")):
        before_document = await _export(world, layout_id)
        before = await table_counts(hold_services)
        response = await world.call("PUT", f"/layouts/{layout_id}/document", json=stage_document())
        assert problem(response, 409, "layout_not_draft")["status"] == 409
        assert status in response.json()["detail"]
        assert await table_counts(hold_services) == before
        assert await _export(world, layout_id) == before_document


async def test_lifecycle_draft_active_archived(world: ApiWorld, hold_services: Services) -> None:
    layout = await _import(world, stage_document())

    async def move(action: str) -> Any:
        return await world.call("POST", f"/layouts/{layout['id']}/{action}")

    async def status() -> str:
        row = await db_row(hold_services, Layout, layout["id"])
        assert (await world.call("GET", f"/layouts/{layout['id']}")).json()["status"] == (
            row["status"].value
        )
        return str(row["status"].value)

    for action, allowed, after in (
        ("activate", True, "active"),
        ("activate", False, "active"),
        ("archive", True, "archived"),
        ("archive", False, "archived"),
        ("activate", False, "archived"),
    ):
        response = await move(action)
        if allowed:
            assert response.status_code == 200 and response.json()["status"] == after
        else:
            body = problem(response, 409, "invalid_transition")
            assert (body["current"], body["target"]) == (
                after,
                action.replace("activate", "active").replace("archive", "archived"),
            )
        assert await status() == after
    draft = await _import(world, stage_document())  # a draft may be retired unused
    archived = await world.call("POST", f"/layouts/{draft['id']}/archive")
    assert archived.json()["status"] == "archived"


async def test_copy_makes_the_next_draft_version(world: ApiWorld, hold_services: Services) -> None:
    source = (await world.call("GET", f"/layouts/{world.layout_id}")).json()
    source_document = await _export(world, world.layout_id)
    copies = []
    for version in (2, 3):
        made = await world.call("POST", f"/layouts/{world.layout_id}/copy")
        assert made.status_code == 201, made.text
        copied = made.json()
        assert (copied["status"], copied["version"], copied["lineage_id"]) == (
            "draft",
            version,
            source["lineage_id"],
        )
        assert copied["id"] != source["id"] and copied["venue_id"] == world.venue_id
        matches_row(copied, await db_row(hold_services, Layout, copied["id"]), *LAYOUT_FIELDS)
        assert await _export(world, copied["id"]) == source_document
        copies.append(copied)
    of_copy = (await world.call("POST", f"/layouts/{copies[0]['id']}/copy")).json()
    assert (of_copy["version"], of_copy["lineage_id"]) == (4, source["lineage_id"])
    assert (await world.call("GET", f"/layouts/{world.layout_id}")).json() == source
    # The copy is a draft: its structure can change now.
    changed = await world.call("PUT", f"/layouts/{copies[0]['id']}/document", json=stage_document())
    assert changed.status_code == 200
    assert await _export(world, world.layout_id) == source_document


async def test_copies_made_at_the_same_moment_number_their_versions_in_turn(
    world: ApiWorld,
) -> None:
    draft = await _import(world, stage_document())
    sources = [world.layout_id] * 3 + [draft["id"]] * 2
    for _ in range(2):
        answers = await asyncio.gather(
            *(world.call("POST", f"/layouts/{source}/copy") for source in sources)
        )
        assert [answer.status_code for answer in answers] == [201] * len(sources)
    listed = (await world.call("GET", "/layouts", params={"limit": 200})).json()["items"]
    for lineage in (world.layout_id, draft["id"]):
        versions = sorted(item["version"] for item in listed if item["lineage_id"] == lineage)
        assert versions == list(range(1, len(versions) + 1))
    assert len(listed) == 2 + 2 * len(sources)


async def test_seats_come_a_page_at_a_time_in_index_order(world: ApiWorld) -> None:
    seats = (await world.call("GET", f"/layouts/{world.layout_id}/seats", "read")).json()
    assert seats["next_cursor"] is None and len(seats["items"]) == 12
    ids = [s["id"] for s in seats["items"]]
    assert ids == world.seat_ids
    await check_pagination(world.call, f"/layouts/{world.layout_id}/seats", ids, most=5_000)
    page = (
        await world.call("GET", f"/layouts/{world.layout_id}/seats", params={"limit": 5})
    ).json()
    rest = await world.call(
        "GET", f"/layouts/{world.layout_id}/seats", params={"cursor": page["next_cursor"]}
    )
    assert [s["index"] for s in rest.json()["items"]] == list(range(5, 12))


async def test_list_layouts_all_or_of_one_venue(world: ApiWorld) -> None:
    other_venue = (await world.call("POST", "/venues", json={"name": "Annex"})).json()["id"]
    here = [world.layout_id] + [(await _import(world, stage_document()))["id"] for _ in range(2)]
    there = [(await _import(world, stage_document(), other_venue))["id"] for _ in range(2)]
    await check_pagination(world.call, "/layouts", here + there)
    await check_pagination(world.call, "/layouts", here, venue_id=world.venue_id)
    await check_pagination(world.call, "/layouts", there, venue_id=other_venue)
    nowhere = await world.call("GET", "/layouts", params={"venue_id": str(uuid.uuid4())})
    assert nowhere.json() == {"items": [], "next_cursor": None}
    invalid(await world.call("GET", "/layouts", params={"venue_id": "hall"}), "query.venue_id")
    unknown_venue = await world.call(
        "POST", f"/venues/{uuid.uuid4()}/layouts", json=copy.deepcopy(stage_document())
    )
    problem(unknown_venue, 404, "not_found")
