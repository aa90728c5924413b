"""The seat map: rows, their order, neighbours, aisles and companion pairs, over drawn rows.

Drawings (tests/support/drawings.py): one line per row, seats left to right as seen from them,
``|`` an aisle; marks after a seat number: ``w`` wheelchair, ``c`` companion.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voelgoedevents.domain.seating.layout import parse_layout_document
from voelgoedevents.domain.seating.seat_map import Edge, LayoutSeatMap
from voelgoedevents.domain.seating.seat_map_build import seat_map_of_document

from support.drawings import drawn_document, drawn_map, drawn_section, label, labels, map_of
from support.factories import small_document

SEAT, AISLE, END = Edge.SEAT, Edge.AISLE, Edge.END


def render(seat_map: LayoutSeatMap) -> list[str]:
    """Each row drawn back from the map's neighbours alone, front row first."""
    drawn = []
    for row in seat_map.rows:
        text = ""
        for index in row.seats:
            seat = seat_map.by_index[index]
            text += "| " if seat.left_edge is AISLE else ""
            text += f"{label(seat_map, index)} "
        last = seat_map.by_index[row.seats[-1]]
        drawn.append(text + "|" if last.right_edge is AISLE else text.rstrip())
    return drawn


# --- neighbours -------------------------------------------------------------------------------

NEIGHBOURS = [
    # drawing            seat   left  between  right  between
    ("A1 A2 A3",          "A1", None, END,     "A2",  SEAT),
    ("A1 A2 A3",          "A2", "A1", SEAT,    "A3",  SEAT),
    ("A1 A2 A3",          "A3", "A2", SEAT,    None,  END),
    ("A1 A2 | A3 A4",     "A2", "A1", SEAT,    "A3",  AISLE),
    ("A1 A2 | A3 A4",     "A3", "A2", AISLE,   "A4",  SEAT),
    ("| A1 A2 |",         "A1", None, AISLE,   "A2",  SEAT),
    ("| A1 A2 |",         "A2", "A1", SEAT,    None,  AISLE),
    ("A1",                "A1", None, END,     None,  END),
    ("| A1 |",            "A1", None, AISLE,   None,  AISLE),
    ("A1 A2\nB1 B2",      "A2", "A1", SEAT,    None,  END),  # B1 is another row
    ("L: A1 A2\nR: A3 A4", "A2", "A1", SEAT,   None,  END),  # another block, another row
    ("L: A1 A2\nR: A3 A4", "A3", None, END,    "A4",  SEAT),
]  # fmt: skip


@pytest.mark.parametrize("drawing, seat, left, left_edge, right, right_edge", NEIGHBOURS)
def test_neighbours_and_what_lies_between(
    drawing: str, seat: str, left: str | None, left_edge: Edge, right: str | None, right_edge: Edge
) -> None:
    seat_map, index = drawn_map(drawing)
    info = seat_map.by_index[index[seat]]
    assert (label(seat_map, info.left), info.left_edge) == (left, left_edge)
    assert (label(seat_map, info.right), info.right_edge) == (right, right_edge)


@pytest.mark.parametrize(
    "drawing",
    ["A1 A2 A3", "A1 A2 | A3 A4", "| A1 A2 | A3 |", "| A1 |", "A1 | A2 | A3", "A1 A2\nB1 | B2"],
)
def test_rows_draw_back_the_same(drawing: str) -> None:
    seat_map, _ = drawn_map(drawing)
    assert render(seat_map) == [line.strip() for line in drawing.splitlines()]


def test_one_aisle_marked_from_both_sides_is_one_aisle() -> None:
    section = drawn_section("A1 A2 | A3 A4")
    section["blocks"][0]["seats"][2]["aisle_before"] = True  # A3, besides A2's aisle_after
    seat_map = map_of(drawn_document(section))
    assert render(seat_map) == ["A1 A2 | A3 A4"]


def test_a_row_is_its_seats_in_document_order_even_interleaved_with_another() -> None:
    section = drawn_section("A1 A2 A3\nB1 B2 B3")
    block = section["blocks"][0]
    a, b = block["seats"][:3], block["seats"][3:]
    block["seats"] = [a[0], b[0], a[1], b[1], a[2], b[2]]
    assert render(map_of(drawn_document(section))) == ["A1 A2 A3", "B1 B2 B3"]


RUNS = [
    ("A1 A2 A3", [["A1", "A2", "A3"]]),
    ("A1 A2 | A3 A4 A5", [["A1", "A2"], ["A3", "A4", "A5"]]),
    ("| A1 |", [["A1"]]),
    ("A1 | A2 | A3", [["A1"], ["A2"], ["A3"]]),
]


@pytest.mark.parametrize(("drawing", "runs"), RUNS)
def test_runs_are_the_stretches_between_aisles(drawing: str, runs: list[list[str]]) -> None:
    seat_map, _ = drawn_map(drawing)
    found = [[label(seat_map, index) for index in run] for run in seat_map.runs(0)]
    assert found == runs


# --- rows front to back ---------------------------------------------------------------------

# Lines are drawn top (y 0) to bottom; the focal point is given as (x, y).
ORDER = [
    # drawing                         layout focal  section focal  rows front to back
    ("B1 B2\nA1 A2",                  None,         None,          ["B", "A"]),  # document
    ("B1 B2\nA1 A2",                  (2, -5),      None,          ["B", "A"]),  # stage on top
    ("B1 B2\nA1 A2",                  (2, 9),       None,          ["A", "B"]),  # stage below
    ("B1 B2\nA1 A2",                  (2, -5),      (2, 9),        ["A", "B"]),  # section's own
    ("X: B1 B2\nY: A1 A2\nZ: C1 C2",  (2, 9),       None,          ["C", "A", "B"]),  # any block
]  # fmt: skip


@pytest.mark.parametrize(("drawing", "focal", "own_focal", "rows"), ORDER)
def test_rows_run_front_to_back_from_the_focal_point_else_in_document_order(
    drawing: str,
    focal: tuple[int, int] | None,
    own_focal: tuple[int, int] | None,
    rows: list[str],
) -> None:
    def point(xy: tuple[int, int] | None) -> dict[str, int] | None:
        return None if xy is None else {"x": xy[0], "y": xy[1]}

    section = drawn_section(drawing, focal_point=point(own_focal))
    seat_map = map_of(drawn_document(section, focal_point=point(focal)))
    assert [row.label for row in seat_map.rows] == rows
    assert [row.depth for row in seat_map.rows] == list(range(len(rows)))
    (section_id,) = seat_map.sections
    assert [row.label for row in seat_map.rows_of(section_id)] == rows


def test_sections_keep_document_order_and_each_orders_its_own_rows() -> None:
    document = drawn_document(
        drawn_section("B1 B2\nA1 A2", name="Stalls", focal_point={"x": 2, "y": 9}),
        drawn_section("D1\nC1", name="Circle"),
    )
    seat_map = map_of(document)
    assert [(row.label, row.depth) for row in seat_map.rows] == [
        ("A", 0),
        ("B", 1),
        ("D", 0),
        ("C", 1),
    ]


# --- wheelchair spaces and companions -----------------------------------------------------------

COMPANIONS = [
    # drawing                 named in the document    pairs
    ("A1w A2c A3 A4",         {},                      {"A1": ["A2"]}),
    ("A1c A2w A3c",           {},                      {"A2": ["A1", "A3"]}),
    ("A1w A2c A3w",           {},                      {"A1": ["A2"]}),  # first come
    ("A1w | A2c",             {},                      {}),  # an aisle between
    ("A1w A2 A3c",            {},                      {}),  # not beside it
    ("A1w A2 A3c A4c",        {"A1": ["3"]},           {"A1": ["A3"]}),
    ("A1w A2c A3w",           {"A3": ["2"]},           {"A3": ["A2"]}),  # named first
    ("A1w A2c A3c A4w",       {"A4": ["2", "3"]},      {"A4": ["A2", "A3"]}),
]  # fmt: skip


@pytest.mark.parametrize(("drawing", "named", "pairs"), COMPANIONS)
def test_wheelchair_spaces_and_their_companions(
    drawing: str, named: dict[str, list[str]], pairs: dict[str, list[str]]
) -> None:
    section = drawn_section(drawing)
    for seat in section["blocks"][0]["seats"]:
        seat["companions"] = named.get(seat["row"] + seat["number"], [])
    seat_map = map_of(drawn_document(section))
    index = labels(seat_map)
    found = {
        label(seat_map, space): [label(seat_map, c) for c in seat_map.companions_of(space)]
        for space in seat_map.companions
    }
    assert found == pairs
    for space, companions in pairs.items():
        for companion in companions:
            assert seat_map.wheelchair_space_of(index[companion]) == index[space]


# --- what every map holds ---------------------------------------------------------------------


def test_an_old_document_maps_with_no_aisles_and_rows_in_document_order() -> None:
    seat_map = seat_map_of_document(parse_layout_document(small_document()))
    assert render(seat_map) == ["A1 A2 A3 A4", "B1 B2 B3 B4", "C1 C2 C3 C4"]
    assert seat_map.focal_point is None
    assert {seat.rank for seat in seat_map.by_index} == {None}
    assert seat_map.seat_count == 12
    assert len(seat_map.blocked_in_layout) == 1
    standing = next(s.id for s in seat_map.sections.values() if s.name == "Standing")
    assert seat_map.rows_of(standing) == ()


def test_seat_facts_come_through() -> None:
    section = drawn_section("A1 A2w A3c")
    section["blocks"][0]["seats"][0]["rank"] = 2.5
    seat_map = map_of(drawn_document(section, focal_point={"x": 0, "y": -4}))
    first, wheelchair = seat_map.by_index[0], seat_map.by_index[1]
    assert (first.row, first.number, first.x, first.y, first.rank) == ("A", "1", 0, 0, 2.5)
    assert (wheelchair.category.value, wheelchair.rank) == ("wheelchair", None)
    assert seat_map.distance_to_focal_point(0) == 4.0
    assert seat_map.seats[first.seat_id] is first


def test_the_same_document_gives_the_same_ids() -> None:
    first = seat_map_of_document(parse_layout_document(small_document()))
    again = seat_map_of_document(parse_layout_document(small_document()))
    assert [seat.seat_id for seat in first.by_index] == [seat.seat_id for seat in again.by_index]


# --- properties -------------------------------------------------------------------------------


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """Sections of blocks of rows of any length, aisles anywhere, seats in any order."""
    sections = []
    for s in range(draw(st.integers(1, 3))):
        blocks = []
        for b in range(draw(st.integers(1, 3))):
            labels_ = draw(st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=4, unique=True))
            seats = [
                {
                    "row": row,
                    "number": f"{b}.{n}",
                    "x": draw(st.integers(-50, 50)),
                    "y": draw(st.integers(-50, 50)),
                    "aisle_before": draw(st.booleans()),
                    "aisle_after": draw(st.booleans()),
                }
                for row in labels_
                for n in range(draw(st.integers(1, 6)))
            ]
            seats = draw(st.permutations(seats))
            blocks.append({"name": f"Block {b}", "capacity": len(seats), "seats": seats})
        section: dict[str, Any] = {
            "name": f"Section {s}",
            "type": "seated",
            "capacity": sum(len(block["seats"]) for block in blocks),
            "blocks": blocks,
        }
        if draw(st.booleans()):
            section["focal_point"] = {"x": draw(st.integers(-60, 60)), "y": 0}
        sections.append(section)
    focal = draw(st.none() | st.builds(dict, x=st.integers(-60, 60), y=st.integers(-60, 60)))
    return drawn_document(*sections, focal_point=focal)


@settings(max_examples=150, deadline=None)
@given(documents())
def test_map_properties(document: dict[str, Any]) -> None:
    seat_map = map_of(document)
    seats = seat_map.by_index
    # Indexes are dense and every id finds its seat.
    assert [seat.index for seat in seats] == list(range(len(seats)))
    assert all(seat_map.seats[seat.seat_id] is seat for seat in seats)
    # Every seat is in exactly one row, at the place it says; a row is one block's row label,
    # in document order.
    assert sorted(i for row in seat_map.rows for i in row.seats) == list(range(len(seats)))
    for row in seat_map.rows:
        assert list(row.seats) == sorted(row.seats)
        for place, index in enumerate(row.seats):
            seat = seats[index]
            assert (seat.row_index, seat.place, seat.row) == (row.index, place, row.label)
            assert (seat.block_id, seat.section_id) == (row.block_id, row.section_id)
    # Left and right agree, and so does what lies between.
    for seat in seats:
        if seat.right is not None:
            assert seats[seat.right].left == seat.index
            assert seats[seat.right].left_edge is seat.right_edge is not END
        if seat.left is None:
            assert seat.place == 0 and seat.left_edge is not SEAT
        if seat.right is None:
            assert seat.right_edge is not SEAT
    # Runs cut each row at its aisles and nowhere else.
    for row in seat_map.rows:
        runs = seat_map.runs(row.index)
        assert [i for run in runs for i in run] == list(row.seats)
        assert all(seats[run[-1]].right_edge is not SEAT for run in runs)
    _rows_are_front_to_back(seat_map)


def _rows_are_front_to_back(seat_map: LayoutSeatMap) -> None:
    for section_id in seat_map.sections:
        rows = seat_map.rows_of(section_id)
        assert [row.depth for row in rows] == list(range(len(rows)))
        focal = seat_map.focal_point_of(section_id)
        if focal is None:
            assert [row.seats[0] for row in rows] == sorted(row.seats[0] for row in rows)
            continue
        distances = [
            sum(math.hypot(seat_map.by_index[i].x - focal.x, seat_map.by_index[i].y - focal.y)
                for i in row.seats) / len(row.seats)
            for row in rows
        ]  # fmt: skip
        assert distances == sorted(distances)
