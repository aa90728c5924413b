"""The synthetic venue generator: exact seat counts, valid documents, believable geometry."""

from __future__ import annotations

import math
import time
from collections import Counter
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voelgoedevents.domain.seating.generator import (
    VENUE_KINDS,
    VenueKind,
    arena,
    generate_layout,
    row_letters,
    stadium,
    theatre,
)
from voelgoedevents.domain.seating.layout import (
    LayoutDocument,
    layout_problems,
    parse_layout_document,
)
from voelgoedevents.domain.seating.seat import SeatCategory, SeatSpec
from voelgoedevents.domain.seating.seat_map import Edge, LayoutSeatMap
from voelgoedevents.domain.seating.seat_map_build import seat_map_of_document
from voelgoedevents.domain.seating.section import SectionSpec, SectionType


@cache
def layout(kind: VenueKind, seats: int, seed: int = 0) -> LayoutDocument:
    """Shared between tests: generating the big layouts is the slow part, and none is mutated."""
    return generate_layout(kind, seats, seed=seed)


def all_seats(document: LayoutDocument) -> list[SeatSpec]:
    return [seat for _, _, _, seat in document.indexed_seats()]


def all_seats_of(section: SectionSpec) -> list[SeatSpec]:
    return [seat for block in section.blocks for seat in block.seats]


def rows_of(section: SectionSpec) -> dict[str, list[SeatSpec]]:
    """The seats of each row of a section, by seat number."""
    rows: dict[str, list[SeatSpec]] = {}
    for block in section.blocks:
        for seat in block.seats:
            rows.setdefault(seat.row, []).append(seat)
    return {row: sorted(seats, key=lambda seat: int(seat.number)) for row, seats in rows.items()}


def seats_named(document: LayoutDocument, prefix: str) -> list[SeatSpec]:
    return [
        seat
        for section in document.sections
        if section.name.startswith(prefix)
        for seat in all_seats_of(section)
    ]


def seated(document: LayoutDocument) -> list[SectionSpec]:
    return [section for section in document.sections if section.type is SectionType.SEATED]


def angle_round_centre(seat: SeatSpec) -> float:
    """The bowls are drawn round (0, 0); 0 points down the drawing, growing towards +x."""
    return math.atan2(seat.x, seat.y)


def assert_valid(document: LayoutDocument, seats: int) -> None:
    assert document.seat_count == seats
    assert layout_problems(document) == []
    assert all(section.capacity > 0 for section in document.sections)
    positions = [(seat.x, seat.y) for seat in all_seats(document)]
    assert len(set(positions)) == len(positions), "two seats drawn on the same spot"


# --- counts and rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("seats", [1, 7, 1000, 20_000])
@pytest.mark.parametrize("kind", VENUE_KINDS)
def test_exact_seat_count_and_valid_document(kind: VenueKind, seats: int) -> None:
    assert_valid(layout(kind, seats), seats)


@pytest.mark.parametrize("kind", VENUE_KINDS)
def test_a_hundred_thousand_seats_quickly(kind: VenueKind) -> None:
    started = time.perf_counter()
    document = layout(kind, 100_000)
    elapsed = time.perf_counter() - started
    assert_valid(document, 100_000)
    # About a second here; the bound only catches an accidental quadratic, not a slow machine.
    assert elapsed < 5.0


@pytest.mark.parametrize("kind", VENUE_KINDS)
def test_round_trips_through_json(kind: VenueKind) -> None:
    document = layout(kind, 500, 3)
    assert parse_layout_document(document.model_dump_json()) == document
    assert parse_layout_document(document.model_dump(mode="json")) == document


@pytest.mark.parametrize("kind", VENUE_KINDS)
def test_positions_are_rounded_to_hundredths(kind: VenueKind) -> None:
    for seat in all_seats(layout(kind, 1000)):
        assert (round(seat.x, 2), round(seat.y, 2)) == (seat.x, seat.y)


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(VENUE_KINDS),
    seats=st.integers(min_value=1, max_value=3000),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_any_size_is_exact_and_valid(kind: VenueKind, seats: int, seed: int) -> None:
    assert_valid(generate_layout(kind, seats, seed=seed), seats)


def test_refuses_sizes_outside_the_layout_limits() -> None:
    with pytest.raises(ValueError):
        theatre(0)
    with pytest.raises(ValueError):
        stadium(200_001)


def test_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown venue kind"):
        generate_layout("opera", 100)  # type: ignore[arg-type]


# --- determinism --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", VENUE_KINDS)
def test_same_seed_same_document(kind: VenueKind) -> None:
    assert generate_layout(kind, 2500, seed=42) == generate_layout(kind, 2500, seed=42)


@pytest.mark.parametrize("kind", VENUE_KINDS)
def test_seed_changes_the_document(kind: VenueKind) -> None:
    first = generate_layout(kind, 2500, seed=1)
    assert any(generate_layout(kind, 2500, seed=seed) != first for seed in range(2, 6))


def test_per_kind_functions_match_generate_layout() -> None:
    assert theatre(300, seed=5) == generate_layout("theatre", 300, seed=5)
    assert arena(300, seed=5) == generate_layout("arena", 300, seed=5)
    assert stadium(300, seed=5) == generate_layout("stadium", 300, seed=5)


def test_name_can_be_chosen() -> None:
    assert theatre(10, name="Test Hall").name == "Test Hall"


# --- theatre --------------------------------------------------------------------------------------


def test_row_labels_run_a_to_z_then_aa() -> None:
    assert [row_letters(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        *("A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"),
    ]


@pytest.mark.parametrize("seats", [1000, 20_000])
def test_theatre_levels_rows_and_prices(seats: int) -> None:
    document = layout("theatre", seats)
    sections = {section.name: section for section in document.sections}
    assert list(sections) == ["Stalls", "Circle", "Upper Circle"]
    assert [section.price_tier for section in sections.values()] == ["A", "B", "C"]
    stalls = sections["Stalls"]
    assert stalls.seat_count > sections["Circle"].seat_count > sections["Upper Circle"].seat_count
    assert [block.name for block in stalls.blocks[:3]] == ["Row A", "Row B", "Row C"]
    for section in document.sections:
        for block in section.blocks:
            assert {seat.row for seat in block.seats} == {block.name.removeprefix("Row ")}
            assert block.capacity >= len(block.seats)


def test_small_theatre_has_only_stalls() -> None:
    assert [section.name for section in layout("theatre", 7).sections] == ["Stalls"]


@pytest.mark.parametrize("seats", [1000, 20_000])
def test_theatre_seat_categories(seats: int) -> None:
    document = layout("theatre", seats)
    sections = {section.name: section for section in document.sections}
    for section in document.sections:
        for seats_of_row in rows_of(section).values():
            # Ends are aisle seats unless something more specific applies.
            assert seats_of_row[0].category is not SeatCategory.STANDARD
            assert seats_of_row[-1].category is not SeatCategory.STANDARD
    stalls_categories = Counter(seat.category for seat in all_seats_of(sections["Stalls"]))
    assert stalls_categories[SeatCategory.AISLE] > 0
    assert stalls_categories[SeatCategory.WHEELCHAIR] >= 1
    assert stalls_categories[SeatCategory.WHEELCHAIR] == stalls_categories[SeatCategory.COMPANION]
    restricted = [
        seat
        for name in ("Circle", "Upper Circle")
        for seat in all_seats_of(sections[name])
        if seat.category is SeatCategory.RESTRICTED_VIEW
    ]
    assert 1 <= len(restricted) <= 12  # a handful


def test_wheelchair_spaces_are_at_the_back_of_the_stalls_beside_a_companion() -> None:
    stalls = layout("theatre", 20_000).sections[0]
    rows = rows_of(stalls)
    wheelchair_rows = {
        row
        for row, seats in rows.items()
        if any(seat.category is SeatCategory.WHEELCHAIR for seat in seats)
    }
    assert len(wheelchair_rows) == 1
    (row,) = wheelchair_rows
    assert list(rows).index(row) >= len(rows) - 2  # the back row, or the one before a stub row

    def numbered(category: SeatCategory) -> set[int]:
        return {int(seat.number) for seat in rows[row] if seat.category is category}

    companions = numbered(SeatCategory.COMPANION)
    for number in numbered(SeatCategory.WHEELCHAIR):
        assert {number - 1, number + 1} & companions


def test_theatre_rows_run_left_to_right_and_back_from_the_stage() -> None:
    document = layout("theatre", 3000, 7)
    previous_section_y = -math.inf
    for section in document.sections:
        rows = list(rows_of(section).values())
        for seats in rows:
            xs = [seat.x for seat in seats]
            assert xs == sorted(xs) and len(set(xs)) == len(xs)
        # The middle of each row is further from the stage (at the top) than the row in front.
        middles = [max(seat.y for seat in seats) for seats in rows]
        assert middles == sorted(middles)
        assert middles[0] > previous_section_y
        previous_section_y = middles[-1]


# --- arena and stadium --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["arena", "stadium"])
@pytest.mark.parametrize("seats", [1000, 20_000])
def test_bowl_rows_run_along_the_arc(kind: VenueKind, seats: int) -> None:
    for section in seated(layout(kind, seats)):
        for seats_of_row in rows_of(section).values():
            angles = [angle_round_centre(seat) for seat in seats_of_row]
            assert angles == sorted(angles) and len(set(angles)) == len(angles)


@pytest.mark.parametrize("seats", [1, 7, 1000, 20_000])
def test_arena_has_a_standing_floor_on_top_of_the_seats(seats: int) -> None:
    document = layout("arena", seats)
    standing = [s for s in document.sections if s.type is SectionType.STANDING]
    assert [section.name for section in standing] == ["Floor"]
    (floor,) = standing
    assert floor.blocks == [] and floor.capacity >= 50
    assert document.total_capacity == seats + floor.capacity


def test_arena_blocks_are_numbered_and_hold_their_rows() -> None:
    document = layout("arena", 20_000)
    blocks = seated(document)
    assert blocks[0].name == "Block 101"
    assert {section.name[:7] for section in blocks} == {"Block 1", "Block 2"}
    for section in blocks:
        assert [block.name for block in section.blocks] == [section.name]
        assert len(rows_of(section)) > 1


def test_arena_stage_end_has_no_seats() -> None:
    for seat in all_seats(layout("arena", 20_000)):
        # Straight up the drawing from the centre is the stage: leave a wide gap around it.
        assert abs(math.atan2(seat.x, -seat.y)) > math.radians(35)


def test_stadium_surrounds_the_pitch_in_two_tiers() -> None:
    document = layout("stadium", 20_000)
    sections = seated(document)
    assert {section.name.split()[0] for section in sections} == {"Lower", "Upper"}
    assert sections[0].name == "Lower 101"
    quadrants = set()
    for section in sections:
        seats = all_seats_of(section)
        centre_x = sum(seat.x for seat in seats) / len(seats)
        centre_y = sum(seat.y for seat in seats) / len(seats)
        quadrants.add((centre_x > 0, centre_y > 0))
    assert len(quadrants) == 4
    lower_reach = max(math.hypot(s.x, s.y) for s in seats_named(document, "Lower"))
    upper_reach = max(math.hypot(s.x, s.y) for s in seats_named(document, "Upper"))
    assert upper_reach > lower_reach


def test_stadium_rows_are_numbered_outward() -> None:
    section = layout("stadium", 20_000).sections[0]
    rows = rows_of(section)
    assert list(rows)[:3] == ["1", "2", "3"]
    reach = [min(math.hypot(seat.x, seat.y) for seat in seats) for seats in rows.values()]
    assert reach == sorted(reach)


# --- what seat selection reads --------------------------------------------------------------------


@cache
def seat_map(kind: VenueKind, seats: int) -> LayoutSeatMap:
    return seat_map_of_document(layout(kind, seats))


@pytest.mark.parametrize("seats", [7, 1000, 20_000])
@pytest.mark.parametrize("kind", VENUE_KINDS)
def test_rows_are_written_front_first_as_the_focal_point_orders_them(
    kind: VenueKind, seats: int
) -> None:
    """The map orders rows by distance to the focal point; the generator writes them in that
    order, so its focal point is where its rows face."""
    document, mapped = layout(kind, seats), seat_map(kind, seats)
    assert document.focal_point is not None
    written = [row.seats[0] for row in mapped.rows]
    assert written == sorted(written)


@pytest.mark.parametrize("seats", [7, 1000, 20_000])
@pytest.mark.parametrize("kind", VENUE_KINDS)
def test_every_row_ends_at_aisles_and_aisle_seats_are_the_ones_beside_one(
    kind: VenueKind, seats: int
) -> None:
    mapped = seat_map(kind, seats)
    for row in mapped.rows:
        first, last = mapped.by_index[row.seats[0]], mapped.by_index[row.seats[-1]]
        assert first.left_edge is Edge.AISLE and last.right_edge is Edge.AISLE
    for seat in mapped.by_index:
        beside_aisle = Edge.AISLE in (seat.left_edge, seat.right_edge)
        if seat.category is SeatCategory.AISLE:
            assert beside_aisle, seat
        if beside_aisle:  # an aisle seat, unless something more specific applies
            assert seat.category is not SeatCategory.STANDARD, seat


@pytest.mark.parametrize("seats", [1000, 20_000])
def test_long_theatre_rows_are_cut_by_radial_aisles(seats: int) -> None:
    mapped = seat_map("theatre", seats)
    stalls = next(s.id for s in mapped.sections.values() if s.name == "Stalls")
    runs = [len(run) for row in mapped.rows_of(stalls) for run in mapped.runs(row.index)]
    assert len(runs) > len(mapped.rows_of(stalls))  # some row has an aisle inside
    assert max(runs) <= 40  # traditional seating: no endless stretches
    for seat in mapped.by_index:  # an aisle is a real gap in the drawing
        if seat.right is not None:
            right = mapped.by_index[seat.right]
            gap = math.dist((seat.x, seat.y), (right.x, right.y))
            assert (gap > 1.8) == (seat.right_edge is Edge.AISLE), (seat, right)


@pytest.mark.parametrize("seats", [1000, 20_000])
def test_each_wheelchair_space_names_the_companion_beside_it(seats: int) -> None:
    mapped = seat_map("theatre", seats)
    spaces = [s.index for s in mapped.by_index if s.category is SeatCategory.WHEELCHAIR]
    assert spaces and sorted(mapped.companions) == spaces
    for space in spaces:
        (companion,) = mapped.companions_of(space)
        assert mapped.by_index[companion].category is SeatCategory.COMPANION
        seat = mapped.by_index[space]
        assert companion in (seat.left, seat.right)


def test_a_hundred_thousand_seat_map_builds_quickly() -> None:
    document = layout("stadium", 100_000)
    started = time.perf_counter()
    mapped = seat_map_of_document(document)
    elapsed = time.perf_counter() - started
    assert mapped.seat_count == 100_000
    # About half a second here (ids derived by hashing included); catches a quadratic only.
    assert elapsed < 5.0
