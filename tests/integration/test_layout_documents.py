"""Layout documents against real databases: import whole or not at all, export round-trips."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from voelgoedevents.adapters.database.tables import Block, Layout, Seat, Section
from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.errors import InvalidDocument, NotFound
from voelgoedevents.domain.seating.layout import Point, parse_layout_document
from voelgoedevents.domain.seating.seat_map import Edge, LayoutSeatMap
from voelgoedevents.domain.seating.seat_map_build import seat_map_of_document
from voelgoedevents.workflows.seating.import_layout import export_layout, import_layout
from voelgoedevents.workflows.seating.layout_lifecycle import copy_layout, replace_layout_document

from support.drawings import drawn_document, drawn_section
from support.factories import (
    make_layout,
    make_organization,
    make_venue,
    seat,
    small_document,
    table_counts,
)


async def test_import_writes_the_whole_structure(services: Services) -> None:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    layout = await make_layout(services, organization.id, venue.id, activate=False)
    assert (layout.status, layout.version, layout.total_capacity, layout.seat_count) == (
        "draft",
        1,
        62,
        12,
    )
    assert layout.lineage_id == layout.id
    async with services.uow() as uow:
        seats = (
            await uow.session.execute(
                sa.select(
                    Seat.seat_index,
                    Seat.row,
                    Seat.number,
                    Seat.category,
                    Seat.status,
                    Seat.organization_id,
                )
                .where(Seat.layout_id == layout.id)
                .order_by(Seat.seat_index)
            )
        ).all()
        sections = (
            await uow.session.execute(
                sa.select(Section.name, Section.section_type, Section.capacity)
                .where(Section.layout_id == layout.id)
                .order_by(Section.position)
            )
        ).all()
        blocks = await uow.session.scalar(
            sa.select(sa.func.count()).select_from(Block).where(Block.layout_id == layout.id)
        )
    assert [s.seat_index for s in seats] == list(range(12))
    assert (seats[0].row, seats[0].number, seats[0].category.value) == ("A", "1", "aisle")
    assert seats[3].status.value == "blocked"
    assert {s.organization_id for s in seats} == {organization.id}
    assert [(s.name, s.section_type.value, s.capacity) for s in sections] == [
        ("Stalls", "seated", 8),
        ("Balcony", "seated", 4),
        ("Standing", "standing", 50),
    ]
    assert blocks == 3


async def test_export_then_import_round_trips(services: Services) -> None:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    original = small_document()
    original["sections"][0]["metadata"] = {"colour": "#aa0000", "tags": ["front"]}
    original["sections"][0]["blocks"][0]["seats"][0]["metadata"] = {"note": "near door"}
    first = await make_layout(services, organization.id, venue.id, original, activate=False)
    exported = await export_layout(services, organization_id=organization.id, layout_id=first.id)
    again = await import_layout(
        services,
        organization_id=organization.id,
        venue_id=venue.id,
        document=exported.model_dump_json(),
    )
    exported_again = await export_layout(
        services, organization_id=organization.id, layout_id=again.id
    )
    assert exported_again == exported
    assert exported.model_dump(mode="json", exclude_defaults=True) == json.loads(
        json.dumps(original)
    ) | {"description": "A small hall for tests"}


def _bad_documents() -> dict[str, object]:
    def mutate(change):  # type: ignore[no-untyped-def]
        document = small_document()
        change(document)
        return document

    return {
        "duplicate seat": mutate(
            lambda d: d["sections"][0]["blocks"][1]["seats"].__setitem__(0, seat("A", 1))
        ),
        "seat in a standing section": mutate(
            lambda d: d["sections"][2].__setitem__(
                "blocks", [{"name": "Pit", "capacity": 1, "seats": [seat("P", 1)]}]
            )
        ),
        "capacities do not add up": mutate(lambda d: d.__setitem__("total_capacity", 10)),
        "unknown category": mutate(
            lambda d: d["sections"][1]["blocks"][0]["seats"][0].__setitem__("category", "vip")
        ),
        "block over capacity": mutate(
            lambda d: d["sections"][1]["blocks"][0].__setitem__("capacity", 1)
        ),
        "malformed JSON": '{"name": "x", "sections": [{]',
        "not an object": "[1, 2, 3]",
        "no sections": mutate(lambda d: d.__setitem__("sections", [])),
    }


@pytest.mark.parametrize("case", list(_bad_documents()))
async def test_a_bad_document_changes_nothing(services: Services, case: str) -> None:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    before = await table_counts(services)
    document = _bad_documents()[case]
    with pytest.raises(InvalidDocument) as caught:
        await import_layout(
            services,
            organization_id=organization.id,
            venue_id=venue.id,
            document=document if isinstance(document, str) else json.dumps(document),
        )
    assert caught.value.problems, "every rejection says why"
    assert await table_counts(services) == before


async def test_a_venue_of_another_organisation_is_not_found_and_nothing_is_written(
    services: Services,
) -> None:
    owner = await make_organization(services)
    intruder = await make_organization(services)
    venue = await make_venue(services, owner.id)
    before = await table_counts(services)
    for venue_id in (venue.id, uuid.uuid4()):
        with pytest.raises(NotFound) as caught:
            await import_layout(
                services,
                organization_id=intruder.id,
                venue_id=venue_id,
                document=small_document(),
            )
        assert caught.value.message == "venue not found"  # the same answer either way
    assert await table_counts(services) == before


async def test_a_failure_mid_write_leaves_nothing_behind(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Break the last seat batch: the layout, sections and blocks already written roll back."""
    from voelgoedevents.adapters.database.repositories import layouts

    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    before = await table_counts(services)
    monkeypatch.setattr(layouts, "SEAT_BATCH", 5)
    real_seat_rows = layouts._seat_rows

    def poisoned(*args, **kwargs):  # type: ignore[no-untyped-def]
        for number, row in enumerate(real_seat_rows(*args, **kwargs)):
            yield row if number < 10 else {**row, "seat_index": -1}  # violates a CHECK

    monkeypatch.setattr(layouts, "_seat_rows", poisoned)
    with pytest.raises(Exception, match="seat_index"):
        await import_layout(
            services,
            organization_id=organization.id,
            venue_id=venue.id,
            document=small_document(),
        )
    assert await table_counts(services) == before


async def test_export_of_another_tenants_layout_is_not_found(services: Services) -> None:
    owner = await make_organization(services)
    intruder = await make_organization(services)
    venue = await make_venue(services, owner.id)
    layout = await make_layout(services, owner.id, venue.id)
    with pytest.raises(NotFound):
        await export_layout(services, organization_id=intruder.id, layout_id=layout.id)
    async with services.uow() as uow:
        assert await uow.session.get(Layout, layout.id) is not None


def _selection_document() -> dict[str, object]:
    """Every field seat selection reads: focal points, ranks, aisles, a named companion written
    before its wheelchair space, and one paired by adjacency alone."""
    stalls = drawn_section(
        "| A1 A2c A3w A4 | A5 A6 |\n| B1w B2c B3 | B4 B5r B6 |", focal_point={"x": 6, "y": -3}
    )
    seats = stalls["blocks"][0]["seats"]  # type: ignore[index]
    seats[2]["companions"] = ["2"]
    for rank, drawn in enumerate(seats):
        drawn["rank"] = rank / 2
    return drawn_document(
        stalls, drawn_section("C1 C2 C3", name="Circle"), focal_point={"x": 6, "y": -10}
    )


async def test_focal_points_ranks_aisles_and_companions_round_trip(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One seat per batch: the companion is written before the seat that names it."""
    from voelgoedevents.adapters.database.repositories import layouts

    monkeypatch.setattr(layouts, "SEAT_BATCH", 1)
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    original = _selection_document()
    first = await make_layout(services, organization.id, venue.id, original, activate=False)
    exported = await export_layout(services, organization_id=organization.id, layout_id=first.id)
    assert exported.model_dump(mode="json", exclude_defaults=True) == original
    copy = await copy_layout(services, organization_id=organization.id, layout_id=first.id)
    again = await export_layout(services, organization_id=organization.id, layout_id=copy.id)
    assert again == exported


async def test_a_replaced_draft_takes_the_new_focal_point(services: Services) -> None:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    draft = await make_layout(services, organization.id, venue.id, activate=False)
    await replace_layout_document(
        services,
        organization_id=organization.id,
        layout_id=draft.id,
        document=_selection_document(),
    )
    exported = await export_layout(services, organization_id=organization.id, layout_id=draft.id)
    assert exported.focal_point == Point(x=6, y=-10)


async def test_the_map_read_from_the_database_is_the_documents_map(services: Services) -> None:
    organization = await make_organization(services)
    venue = await make_venue(services, organization.id)
    document = _selection_document()
    layout = await make_layout(services, organization.id, venue.id, document)
    loaded = await services.seat_maps.layout(layout.id)
    drawn = seat_map_of_document(parse_layout_document(document))

    def shape(seat_map: LayoutSeatMap) -> object:
        section_names = {s.id: s.name for s in seat_map.sections.values()}
        seats = [seat[4:] for seat in seat_map.by_index]  # all but the ids
        rows = [(section_names[r.section_id], r.label, r.depth, r.seats) for r in seat_map.rows]
        focal = {name: seat_map.focal_point_of(id_) for id_, name in section_names.items()}
        blocked = {seat_map.seats[s].index for s in seat_map.blocked_in_layout}
        return seats, rows, focal, seat_map.companions, seat_map.wheelchair_spaces, blocked

    assert shape(loaded) == shape(drawn)
    assert loaded.companions == {2: (1,), 6: (7,)}
    assert loaded.by_index[3].right_edge is Edge.AISLE
