"""Building a :class:`~.seat_map.LayoutSeatMap` from a layout's seats, as stored or as a document.

A few linear passes and no per-seat sorting: rows are found by grouping, ordered per section,
then walked once for neighbours. A 100,000-seat layout builds in well under a second; the
adapter that reads the seats from the database feeds them straight in.
"""

from __future__ import annotations

import gc
import math
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from voelgoedevents.domain.seating.layout import LayoutDocument
from voelgoedevents.domain.seating.seat import LayoutSeatStatus, Point, SeatCategory, SeatSpec
from voelgoedevents.domain.seating.seat_map import (
    Edge,
    LayoutSeatMap,
    RowInfo,
    SeatInfo,
    SectionInfo,
)


class SeatColumns(NamedTuple):
    """A layout's seats as parallel columns, each in dense index order (entry i is seat i).

    Columns, not a record per seat: the adapter transposes its rows in one step, and the build
    allocates one object per seat (its :class:`SeatInfo`) instead of two.
    """

    seat_id: Sequence[uuid.UUID]
    block_id: Sequence[uuid.UUID]
    row: Sequence[str]
    number: Sequence[str]
    x: Sequence[float]
    y: Sequence[float]
    category: Sequence[SeatCategory]
    status: Sequence[LayoutSeatStatus]
    rank: Sequence[float | None]
    aisle_before: Sequence[bool]
    aisle_after: Sequence[bool]
    companion_of: Sequence[int | None]  # the index of the wheelchair space naming this seat


@dataclass(frozen=True, slots=True)
class BlockRecord:
    id: uuid.UUID
    section_id: uuid.UUID
    name: str


RowKey = tuple[uuid.UUID, str]  # (block, row label)


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """For reading and building a map: a few hundred thousand objects and no reference cycles.
    Left on, the cycle collector runs hundreds of times meanwhile, rescanning the whole heap as
    it grows: four fifths of a 100,000-seat map's load time. Nests; restores what it found."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_seat_map(
    *,
    layout_id: uuid.UUID,
    focal_point: Point | None,
    sections: Sequence[SectionInfo],
    blocks: Sequence[BlockRecord],
    seats: SeatColumns,
) -> LayoutSeatMap:
    """The map of a layout; ``sections`` in document order."""
    count = len(seats.seat_id)
    if any(len(column) != count for column in seats):
        raise ValueError("every seat column must hold one entry per seat")
    with cycle_collector_paused():
        section_of_block = {block.id: block.section_id for block in blocks}
        members = _rows_in_document_order(seats)
        rows = _ordered_rows(sections, section_of_block, members, seats, focal_point)
        by_index = _seat_infos(seats, rows, section_of_block)
        companions, wheelchair_spaces = _companion_pairs(seats.companion_of, by_index)
        return LayoutSeatMap(
            layout_id=layout_id,
            seats=dict(zip(seats.seat_id, by_index, strict=True)),
            by_index=by_index,
            sections={section.id: section for section in sections},
            block_names={block.id: block.name for block in blocks},
            blocked_in_layout=frozenset(
                seat_id
                for seat_id, status in zip(seats.seat_id, seats.status, strict=True)
                if status is LayoutSeatStatus.BLOCKED
            ),
            rows=tuple(rows),
            focal_point=focal_point,
            section_rows=_rows_by_section(sections, rows),
            companions=companions,
            wheelchair_spaces=wheelchair_spaces,
        )


def _rows_in_document_order(seats: SeatColumns) -> dict[RowKey, list[int]]:
    """Each row's seat indexes, rows in the order they first appear."""
    members: dict[RowKey, list[int]] = {}
    for index, key in enumerate(zip(seats.block_id, seats.row, strict=True)):
        row = members.get(key)
        if row is None:
            members[key] = [index]
        else:
            row.append(index)
    return members


def _ordered_rows(
    sections: Sequence[SectionInfo],
    section_of_block: dict[uuid.UUID, uuid.UUID],
    members: dict[RowKey, list[int]],
    seats: SeatColumns,
    focal_point: Point | None,
) -> list[RowInfo]:
    """Sections in document order, each one's rows front to back."""
    keys_by_section: dict[uuid.UUID, list[RowKey]] = {section.id: [] for section in sections}
    for key in members:
        keys_by_section[section_of_block[key[0]]].append(key)
    rows: list[RowInfo] = []
    for section in sections:
        focal = section.focal_point or focal_point
        for depth, key in enumerate(
            _front_to_back(keys_by_section[section.id], members, seats, focal)
        ):
            rows.append(RowInfo(len(rows), section.id, key[0], key[1], depth, tuple(members[key])))
    return rows


def _front_to_back(
    keys: list[RowKey], members: dict[RowKey, list[int]], seats: SeatColumns, focal: Point | None
) -> list[RowKey]:
    """Nearest the focal point first (the mean distance of a row's seats); document order
    without one, and between rows equally far (the sort is stable)."""
    if focal is None:
        return keys
    xs, ys, fx, fy = seats.x, seats.y, focal.x, focal.y

    def mean_distance(key: RowKey) -> float:
        indexes = members[key]
        return sum(math.hypot(xs[i] - fx, ys[i] - fy) for i in indexes) / len(indexes)

    return sorted(keys, key=mean_distance)


def _rows_by_section(
    sections: Sequence[SectionInfo], rows: list[RowInfo]
) -> dict[uuid.UUID, tuple[int, ...]]:
    by_section: dict[uuid.UUID, list[int]] = {section.id: [] for section in sections}
    for row in rows:
        by_section[row.section_id].append(row.index)
    return {section_id: tuple(indexes) for section_id, indexes in by_section.items()}


def _seat_infos(
    seats: SeatColumns, rows: list[RowInfo], section_of_block: dict[uuid.UUID, uuid.UUID]
) -> tuple[SeatInfo, ...]:
    count = len(seats.seat_id)
    row_index, place = [0] * count, [0] * count
    left: list[int | None] = [None] * count
    right: list[int | None] = [None] * count
    left_edge, right_edge = [Edge.END] * count, [Edge.END] * count
    before, after = seats.aisle_before, seats.aisle_after
    for row in rows:
        previous: int | None = None
        for position, index in enumerate(row.seats):
            row_index[index], place[index] = row.index, position
            if previous is None:
                if before[index]:
                    left_edge[index] = Edge.AISLE
            else:
                between = Edge.AISLE if after[previous] or before[index] else Edge.SEAT
                left[index], right[previous] = previous, index
                left_edge[index] = right_edge[previous] = between
            previous = index
        if previous is not None and after[previous]:
            right_edge[previous] = Edge.AISLE
    section_id = [section_of_block[block_id] for block_id in seats.block_id]
    columns = (
        seats.seat_id,
        range(count),
        section_id,
        seats.block_id,
        seats.row,
        seats.number,
        seats.x,
        seats.y,
        seats.category,
        seats.rank,
        row_index,
        place,
        left,
        right,
        left_edge,
        right_edge,
    )
    return tuple(map(SeatInfo._make, zip(*columns, strict=True)))


def _companion_pairs(
    companion_of: Sequence[int | None], seats: tuple[SeatInfo, ...]
) -> tuple[dict[int, tuple[int, ...]], dict[int, int]]:
    """Named pairs first; then each wheelchair space naming none, in index order, takes the
    companion seats right beside it (no aisle between) that are still free."""
    named: dict[int, list[int]] = {}
    wheelchair_spaces: dict[int, int] = {}
    for index, space in enumerate(companion_of):
        if space is not None:
            named.setdefault(space, []).append(index)
            wheelchair_spaces[index] = space
    companions = {space: tuple(seats_of) for space, seats_of in named.items()}
    for seat in seats:
        if seat.category is not SeatCategory.WHEELCHAIR or seat.index in companions:
            continue
        beside = [
            neighbour
            for neighbour, edge in ((seat.left, seat.left_edge), (seat.right, seat.right_edge))
            if neighbour is not None
            and edge is Edge.SEAT
            and seats[neighbour].category is SeatCategory.COMPANION
            and neighbour not in wheelchair_spaces
        ]
        if beside:
            companions[seat.index] = tuple(beside)
            wheelchair_spaces.update(dict.fromkeys(beside, seat.index))
    return companions, wheelchair_spaces


# --- from a document (pure: tests, previews, the generator's checks) ------------------------------


def seat_map_of_document(
    document: LayoutDocument, layout_id: uuid.UUID | None = None
) -> LayoutSeatMap:
    """The map a document gives once imported. Ids are derived from the layout id and positions
    (the same document gives the same ids), standing in for the ones the database assigns."""
    layout = layout_id or uuid.uuid5(uuid.NAMESPACE_URL, f"voelgoed-layout:{document.name}")
    sections: list[SectionInfo] = []
    blocks: list[BlockRecord] = []
    specs: list[SeatSpec] = []
    seat_blocks: list[uuid.UUID] = []  # each seat's block, in index order
    for s, section in enumerate(document.sections):
        spec = (section.name, section.type, section.capacity, section.price_tier)
        sections.append(SectionInfo(uuid.uuid5(layout, f"section:{s}"), *spec, section.focal_point))
        for b, block in enumerate(section.blocks):
            block_id = uuid.uuid5(layout, f"block:{s}:{b}")
            blocks.append(BlockRecord(block_id, sections[-1].id, block.name))
            specs.extend(block.seats)
            seat_blocks.extend([block_id] * len(block.seats))
    links = document.companion_links()
    columns = SeatColumns(
        seat_id=[uuid.uuid5(layout, f"seat:{index}") for index in range(len(specs))],
        block_id=seat_blocks,
        row=[seat.row for seat in specs],
        number=[seat.number for seat in specs],
        x=[seat.x for seat in specs],
        y=[seat.y for seat in specs],
        category=[seat.category for seat in specs],
        status=[seat.status for seat in specs],
        rank=[seat.rank for seat in specs],
        aisle_before=[seat.aisle_before for seat in specs],
        aisle_after=[seat.aisle_after for seat in specs],
        companion_of=[links.get(index) for index in range(len(specs))],
    )
    return build_seat_map(
        layout_id=layout,
        focal_point=document.focal_point,
        sections=sections,
        blocks=blocks,
        seats=columns,
    )
