"""Layout rules, checked on documents alone (no database)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from voelgoedevents.domain.errors import (
    InvalidDocument,
    InvalidTransition,
    LayoutNotEditable,
    LayoutNotUsable,
)
from voelgoedevents.domain.seating.layout import (
    LayoutStatus,
    ensure_accepts_events,
    ensure_structure_editable,
    layout_document_schema,
    parse_layout_document,
    transition_layout,
)

from support.factories import seat, small_document


def problems_of(document: object) -> list[tuple[str, str]]:
    with pytest.raises(InvalidDocument) as caught:
        parse_layout_document(document if isinstance(document, str) else json.dumps(document))
    return [(problem.path, problem.reason) for problem in caught.value.problems]


def test_a_valid_document_parses_with_dense_seat_indexes() -> None:
    document = parse_layout_document(small_document())
    indexes = [index for _, _, index, _ in document.indexed_seats()]
    assert indexes == list(range(12))
    assert document.seat_count == 12
    assert document.total_capacity == 62


def test_total_capacity_must_be_the_sum_of_sections() -> None:
    document = small_document()
    document["total_capacity"] = 61
    assert problems_of(document) == [
        ("total_capacity", "total_capacity 61 does not equal the sum of section capacities 62")
    ]


def test_seated_capacity_must_equal_its_seats() -> None:
    document = small_document()
    document["sections"][0]["capacity"] = 9
    document["total_capacity"] = 63  # keep the total consistent: only the section is wrong
    [(path, reason)] = problems_of(document)
    assert path == "sections[0].capacity"
    assert "capacity 9, seats 8" in reason


def test_a_block_never_holds_more_seats_than_its_capacity() -> None:
    document = small_document()
    document["sections"][0]["blocks"][0]["capacity"] = 3
    [(path, reason)] = problems_of(document)
    assert path == "sections[0].blocks[0].seats"
    assert "holds 4 seats but its capacity is 3" in reason


def test_an_empty_section_is_refused() -> None:
    document = small_document()
    document["sections"][2]["capacity"] = 0
    document["total_capacity"] = 12
    assert problems_of(document) == [
        ("sections[2].capacity", "a section must hold at least one seat or place")
    ]


def test_standing_sections_have_no_seats() -> None:
    document = small_document()
    document["sections"][2]["blocks"] = [{"name": "Pit", "capacity": 1, "seats": [seat("P", 1)]}]
    assert problems_of(document) == [
        ("sections[2].blocks", "a standing section has no blocks or seats")
    ]


def test_duplicate_seats_are_named_with_both_places() -> None:
    document = small_document()
    document["sections"][0]["blocks"][1]["seats"][0] = seat("A", 2)  # Row A seat 2 again
    [(path, reason)] = problems_of(document)
    assert path == "sections[0].blocks[1].seats[0]"
    assert "duplicate seat row 'A' number '2'" in reason
    assert "first at sections[0].blocks[0].seats[1]" in reason


def test_the_same_seat_label_in_two_sections_is_fine() -> None:
    document = small_document()
    document["sections"][1]["blocks"][0]["seats"][0] = seat("A", 1)
    parse_layout_document(document)


def test_duplicate_section_and_block_names() -> None:
    document = small_document()
    document["sections"][1]["name"] = "Stalls"
    document["sections"][0]["blocks"][1]["name"] = "Row A"
    paths = [path for path, _ in problems_of(document)]
    assert paths == ["sections[0].blocks[1].name", "sections[1].name"]  # document order


def test_unknown_category_and_every_structural_problem_listed() -> None:
    document = small_document()
    document["sections"][0]["blocks"][0]["seats"][1]["category"] = "royal_box"
    del document["sections"][1]["blocks"][0]["seats"][0]["x"]
    document["sections"][2]["capacity"] = -5
    problems = dict(problems_of(document))
    assert set(problems) == {
        "sections[0].blocks[0].seats[1].category",
        "sections[1].blocks[0].seats[0].x",
        "sections[2].capacity",
    }
    assert "wheelchair" in problems["sections[0].blocks[0].seats[1].category"]


def test_malformed_json_is_one_clear_problem() -> None:
    [(path, reason)] = problems_of('{"name": "broken", "sections": [')
    assert path == ""
    assert reason.startswith("malformed JSON")


def test_unknown_fields_are_refused_not_ignored() -> None:
    document = small_document()
    document["sections"][0]["colour"] = "red"
    assert problems_of(document)[0][0] == "sections[0].colour"


def test_non_finite_positions_are_refused() -> None:
    text = json.dumps(small_document()).replace('"x": 10.0', '"x": NaN', 1)
    assert "x" in problems_of(text)[0][0]


def test_layout_lifecycle() -> None:
    assert transition_layout(LayoutStatus.DRAFT, LayoutStatus.ACTIVE) is LayoutStatus.ACTIVE
    assert transition_layout(LayoutStatus.ACTIVE, LayoutStatus.ARCHIVED) is LayoutStatus.ARCHIVED
    with pytest.raises(InvalidTransition):
        transition_layout(LayoutStatus.ACTIVE, LayoutStatus.DRAFT)
    with pytest.raises(InvalidTransition):
        transition_layout(LayoutStatus.ARCHIVED, LayoutStatus.ACTIVE)


def test_only_a_draft_can_change_and_only_an_active_layout_takes_events() -> None:
    ensure_structure_editable(LayoutStatus.DRAFT)
    for status in (LayoutStatus.ACTIVE, LayoutStatus.ARCHIVED):
        with pytest.raises(LayoutNotEditable):
            ensure_structure_editable(status)
    ensure_accepts_events(LayoutStatus.ACTIVE)
    for status in (LayoutStatus.DRAFT, LayoutStatus.ARCHIVED):
        with pytest.raises(LayoutNotUsable):
            ensure_accepts_events(status)


def test_documents_are_immutable_values() -> None:
    document = parse_layout_document(small_document())
    clone = parse_layout_document(copy.deepcopy(small_document()))
    assert document == clone
    with pytest.raises(Exception):  # noqa: B017 (pydantic's frozen error type is internal)
        document.name = "changed"  # type: ignore[misc]


def test_the_schema_names_every_category() -> None:
    schema = json.dumps(layout_document_schema())
    for category in ("standard", "wheelchair", "companion", "restricted_view", "aisle"):
        assert category in schema


# --- what seat selection reads: focal points, ranks, aisles, companions ------------------------


def test_the_new_fields_are_optional_and_default_to_nothing() -> None:
    document = parse_layout_document(small_document())
    assert document.focal_point is None
    assert {section.focal_point for section in document.sections} == {None}
    seats = [seat for _, _, _, seat in document.indexed_seats()]
    assert {(s.rank, s.aisle_before, s.aisle_after, tuple(s.companions)) for s in seats} == {
        (None, False, False, ())
    }
    assert document.model_dump(mode="json", exclude_defaults=True) == small_document() | {
        "description": "A small hall for tests"
    }


def test_a_document_with_every_new_field_parses() -> None:
    document = small_document()
    document["focal_point"] = {"x": 25.0, "y": 0.0}
    document["sections"][1]["focal_point"] = {"x": 25.0, "y": 100.0}
    row_b = document["sections"][0]["blocks"][1]["seats"]
    row_b[0] |= {"rank": 1.5, "aisle_before": True}
    row_b[1] |= {"aisle_after": True, "category": "companion"}
    row_b[3] |= {"companions": ["2"], "aisle_after": True}
    parsed = parse_layout_document(document)
    assert parsed.focal_point is not None and parsed.focal_point.x == 25.0
    assert parsed.companion_links() == {5: 7}


A1 = ("sections", 0, "blocks", 0, "seats", 0)

COMPANION_PROBLEMS = [
    # seat naming (row B),  its category,  names,        problem at,        reason contains
    (3, "wheelchair", ["9"], "companions[0]", "no seat '9' of row 'B' in section 'Stalls'"),
    (3, "wheelchair", ["4"], "companions[0]", "a seat cannot be its own companion"),
    (3, "wheelchair", ["1"], "companions[0]", "seat '1' of row 'B' is standard, not a companion"),
    (3, "wheelchair", ["3", "3"], "companions[1]", "already the companion of"),
    (0, "standard", ["3"], "companions", "only a wheelchair seat names companions"),
]  # fmt: skip


@pytest.mark.parametrize("seat_at, category, names, where, reason", COMPANION_PROBLEMS)
def test_companions_must_be_companion_seats_of_the_same_row(
    seat_at: int, category: str, names: list[str], where: str, reason: str
) -> None:
    document = small_document()
    row_b = document["sections"][0]["blocks"][1]["seats"]
    row_b[2]["category"] = "companion"  # B3
    row_b[seat_at] |= {"category": category, "companions": names}
    [(path, found)] = problems_of(document)
    assert path == f"sections[0].blocks[1].seats[{seat_at}].{where}"
    assert reason in found


def test_a_companion_seat_belongs_to_one_wheelchair_space() -> None:
    document = small_document()
    row_b = document["sections"][0]["blocks"][1]["seats"]
    row_b[0] |= {"category": "wheelchair", "companions": ["2"]}
    row_b[1]["category"] = "companion"
    row_b[3]["companions"] = ["2"]  # B4 is a wheelchair space already
    [(path, reason)] = problems_of(document)
    assert path == "sections[0].blocks[1].seats[3].companions[0]"
    assert reason == (
        "seat '2' of row 'B' is already the companion of sections[0].blocks[1].seats[0]"
    )


@pytest.mark.parametrize(
    "where, field, value, path",
    [
        ((), "focal_point", {"x": 1.0}, "focal_point.y"),
        (("sections", 0), "focal_point", {"x": 1, "y": 2, "z": 3}, "sections[0].focal_point.z"),
        (A1, "rank", "best", "sections[0].blocks[0].seats[0].rank"),
        (A1, "aisle_after", 3, "sections[0].blocks[0].seats[0].aisle_after"),
        (A1, "companions", "2", "sections[0].blocks[0].seats[0].companions"),
    ],
)
def test_malformed_new_fields_are_refused(
    where: tuple[Any, ...], field: str, value: object, path: str
) -> None:
    document = small_document()
    target: Any = document
    for step in where:
        target = target[step]
    target[field] = value
    assert problems_of(document)[0][0] == path


def test_a_rank_must_be_finite() -> None:
    text = json.dumps(small_document()).replace('"row": "A"', '"rank": Infinity, "row": "A"', 1)
    assert problems_of(text)[0][0] == "sections[0].blocks[0].seats[0].rank"
