"""A layout's seats as seat selection sees them: where each sits, its row, its neighbours.

Built once per process per layout (see :mod:`.seat_map_build`) and never changed: an active
layout's structure is frozen. Everything here is pure and answers from memory.

Terms, as the rules written against this map use them:

- A **row** is the seats of one block that share a row label, in the order the block lists them:
  left to right as seen from the seats. Each seat's ``left`` and ``right`` are the seats listed
  beside it in its row; ``left_edge`` / ``right_edge`` say what lies in between: nothing
  (:attr:`Edge.SEAT`), an aisle (:attr:`Edge.AISLE`; at a row's end, the row ends at an aisle), or
  the row's end (:attr:`Edge.END`, no neighbour on that side).
- A **run** is a stretch of a row between aisles or row ends: the seats a party can sit in side
  by side.
- Rows are ordered **front to back** within their section: nearest to the section's focal point
  first (the mean distance of their seats), or, with no focal point, in document order.
- A **wheelchair space** may be bound to **companion** seats: the ones it names in the document,
  or else the companion seats right beside it (no aisle between) that no other space took first.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from voelgoedevents.domain.seating.seat import Point, SeatCategory
from voelgoedevents.domain.seating.section import SectionType


class Edge(StrEnum):
    """What lies between a seat and the next one on one side of its row."""

    SEAT = "seat"  # the neighbour sits right there
    AISLE = "aisle"  # an aisle (and across it the neighbour, if the row goes on)
    END = "end"  # the row ends: no neighbour, no aisle


class SeatInfo(NamedTuple):
    """One seat of the map. A named tuple: four times quicker to build than a frozen dataclass,
    which counts at 100,000 seats. Its ``index`` field hides ``tuple.index``, never needed here."""

    seat_id: uuid.UUID
    index: int  # type: ignore[assignment]  # dense, 0 .. n-1: the seat's bit in every bitmap
    section_id: uuid.UUID
    block_id: uuid.UUID
    row: str
    number: str
    x: float
    y: float
    category: SeatCategory
    rank: float | None  # lower is better; None: judge by the focal point
    row_index: int  # into LayoutSeatMap.rows
    place: int  # 0 .. len(row) - 1, left to right
    left: int | None  # the seat beside it in its row (across an aisle, if any); None at the end
    right: int | None
    left_edge: Edge
    right_edge: Edge


@dataclass(frozen=True, slots=True)
class SectionInfo:
    id: uuid.UUID
    name: str
    type: SectionType
    capacity: int
    price_tier: str | None
    focal_point: Point | None = None  # its own; see LayoutSeatMap.focal_point_of


@dataclass(frozen=True, slots=True)
class RowInfo:
    index: int  # position in LayoutSeatMap.rows: sections in document order, front to back
    section_id: uuid.UUID
    block_id: uuid.UUID
    label: str
    depth: int  # 0 for the front row of its section
    seats: tuple[int, ...]  # seat indexes, left to right


@dataclass(frozen=True)
class LayoutSeatMap:
    layout_id: uuid.UUID
    seats: dict[uuid.UUID, SeatInfo]
    by_index: tuple[SeatInfo, ...]
    sections: dict[uuid.UUID, SectionInfo]
    block_names: dict[uuid.UUID, str]
    blocked_in_layout: frozenset[uuid.UUID]
    rows: tuple[RowInfo, ...]
    focal_point: Point | None
    section_rows: dict[uuid.UUID, tuple[int, ...]]  # row indexes, front first
    companions: dict[int, tuple[int, ...]]  # wheelchair space -> its companion seats
    wheelchair_spaces: dict[int, int]  # companion seat -> its wheelchair space

    @property
    def seat_count(self) -> int:
        return len(self.by_index)

    def row_of(self, index: int) -> RowInfo:
        return self.rows[self.by_index[index].row_index]

    def rows_of(self, section_id: uuid.UUID) -> tuple[RowInfo, ...]:
        """The section's rows, front to back (none for a standing section)."""
        return tuple(self.rows[r] for r in self.section_rows.get(section_id, ()))

    def runs(self, row_index: int) -> tuple[tuple[int, ...], ...]:
        """The row cut at its aisles: each run's seat indexes, left to right."""
        runs: list[tuple[int, ...]] = []
        current: list[int] = []
        for index in self.rows[row_index].seats:
            current.append(index)
            if self.by_index[index].right_edge is not Edge.SEAT:
                runs.append(tuple(current))
                current = []
        return tuple(runs)

    def companions_of(self, index: int) -> tuple[int, ...]:
        """The companion seats bound to a wheelchair space (none for any other seat)."""
        return self.companions.get(index, ())

    def wheelchair_space_of(self, index: int) -> int | None:
        """The wheelchair space a companion seat is bound to, if any."""
        return self.wheelchair_spaces.get(index)

    def focal_point_of(self, section_id: uuid.UUID) -> Point | None:
        """What the section's seats face: its own focal point, else the layout's."""
        return self.sections[section_id].focal_point or self.focal_point

    def distance_to_focal_point(self, index: int) -> float | None:
        seat = self.by_index[index]
        focal = self.focal_point_of(seat.section_id)
        return None if focal is None else math.hypot(seat.x - focal.x, seat.y - focal.y)
