"""The rows of synthetic venues: arcs, seats spread along them, sections built from row plans.

Shared by the venue kinds of :mod:`.generator`. Drawing units: one unit is roughly half a metre,
the distance between neighbouring seats of a row.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from voelgoedevents.domain.seating.block import BlockSpec
from voelgoedevents.domain.seating.seat import SeatCategory, SeatSpec
from voelgoedevents.domain.seating.section import SectionSpec, SectionType

SEAT_PITCH = 1.0
_ARC_SAMPLES = 32  # enough for arc lengths within a seat's width on the flattest ellipse used

CategoryRule = Callable[[list[list[SeatCategory]]], list[tuple[int, int, int]]]
"""Changes the categories of a section's seats in place, one list per emitted row, front first;
returns the wheelchair spaces it made with their companions: (row, space, companion) positions."""


@dataclass(frozen=True)
class Arc:
    """Part of an ellipse around (centre_x, centre_y).

    Angle 0 points down the drawing (+y) and angles grow towards +x, so walking an arc from
    ``start`` to ``end`` goes left to right for someone sitting on it and facing the centre.
    """

    centre_x: float
    centre_y: float
    radius_x: float
    radius_y: float
    start: float
    end: float

    def point(self, angle: float) -> tuple[float, float]:
        return (
            self.centre_x + self.radius_x * math.sin(angle),
            self.centre_y + self.radius_y * math.cos(angle),
        )

    def angle(self, step: float) -> float:
        """The angle ``step`` sample intervals from the start (fractions allowed)."""
        return self.start + (self.end - self.start) * step / _ARC_SAMPLES


@dataclass
class Row:
    """A row's curve and how many seats fit on it, keeping ``aisle`` free in total at the ends."""

    label: str
    arc: Arc
    aisle: float = 0.0
    lengths: tuple[float, ...] = field(init=False)  # arc length from the start to each sample

    def __post_init__(self) -> None:
        # The arc length of an ellipse has no closed form; summing chords is accurate enough.
        points = [self.arc.point(self.arc.angle(step)) for step in range(_ARC_SAMPLES + 1)]
        self.lengths = (0.0, *accumulate(map(math.dist, points, points[1:])))

    @property
    def capacity(self) -> int:
        return max(0, int((self.lengths[-1] - self.aisle) / SEAT_PITCH))

    def positions(self, count: int) -> list[tuple[float, float]]:
        """``count`` seats one pitch apart, centred on the arc, in order along it."""
        first = (self.lengths[-1] - (count - 1) * SEAT_PITCH) / 2
        return [self.arc.point(self._angle_at(first + i * SEAT_PITCH)) for i in range(count)]

    def _angle_at(self, distance: float) -> float:
        step = min(max(bisect_left(self.lengths, distance), 1), _ARC_SAMPLES)
        before, after = self.lengths[step - 1], self.lengths[step]
        fraction = (distance - before) / (after - before) if after > before else 0.0
        return self.arc.angle(step - 1 + fraction)


Stretches = list[Row]
"""One row of a section: its stretches between aisles, left to right, sharing the row's label."""


@dataclass
class SectionPlan:
    """A seated section before its seat count is known: rows with room to spare, front first."""

    name: str
    price_tier: str
    block_per_row: bool
    rows: list[Stretches] = field(default_factory=list)
    rules: list[CategoryRule] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return sum(row_room(row) for row in self.rows)


def row_room(row: Stretches) -> int:
    return sum(stretch.capacity for stretch in row)


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` so the parts add up to it exactly.

    Largest remainder, in integers: no part exceeds ``ceil(weight * total / sum(weights))``, so
    when ``total <= sum(weights)`` no part exceeds its weight (a section is never overfilled).
    """
    whole = sum(weights)
    parts = [weight * total // whole for weight in weights]
    remainders = [weight * total % whole for weight in weights]
    short = total - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: -remainders[i])[:short]:
        parts[index] += 1
    return parts


def fill_rows(capacities: Sequence[int], quota: int) -> list[int]:
    """Seats per row, front rows full first: only the last rows used are trimmed."""
    counts = []
    for capacity in capacities:
        counts.append(min(capacity, quota))
        quota -= counts[-1]
    if quota:
        raise AssertionError(f"rows too short by {quota} seats")  # a planning bug, never input
    return counts


def split_row(row: Stretches, count: int) -> list[int]:
    """A row's seats over its stretches, in proportion to their room (none is overfilled)."""
    return [count] if len(row) == 1 else apportion(count, [stretch.capacity for stretch in row])


def row_categories(split: list[int]) -> list[SeatCategory]:
    """Seats beside an aisle (each stretch's ends) are aisle seats."""
    categories: list[SeatCategory] = []
    for count in split:
        stretch = [SeatCategory.STANDARD] * count
        if count:
            stretch[0] = stretch[-1] = SeatCategory.AISLE
        categories += stretch
    return categories


def row_seats(
    row: Stretches, split: list[int], categories: list[SeatCategory], companions: dict[int, int]
) -> list[SeatSpec]:
    """Numbered 1..n left to right across the stretches. An aisle before the first seat and after
    the last seat of each stretch. Positions are rounded to hundredths, as stored."""
    seats: list[SeatSpec] = []
    for stretch, count in zip(row, split, strict=True):
        for place, (x, y) in enumerate(stretch.positions(count)):
            at = len(seats)
            named = [str(companions[at] + 1)] if at in companions else []
            seats.append(
                SeatSpec(
                    row=stretch.label,
                    number=str(at + 1),
                    x=round(x, 2),
                    y=round(y, 2),
                    category=categories[at],
                    aisle_before=at == 0,
                    aisle_after=place == count - 1,
                    companions=named,
                )
            )
    return seats


def build_section(plan: SectionPlan, quota: int) -> SectionSpec:
    counts = fill_rows([row_room(row) for row in plan.rows], quota)
    used = [
        (row, split_row(row, count)) for row, count in zip(plan.rows, counts, strict=True) if count
    ]
    categories = [row_categories(split) for _, split in used]
    companions: list[dict[int, int]] = [{} for _ in used]
    for rule in plan.rules:
        for row, space, companion in rule(categories):
            companions[row][space] = companion
    seat_rows = [
        row_seats(row, split, kinds, pairs)
        for (row, split), kinds, pairs in zip(used, categories, companions, strict=True)
    ]
    if plan.block_per_row:
        blocks = [
            BlockSpec(name=f"Row {row[0].label}", capacity=len(seats), seats=seats)
            for (row, _), seats in zip(used, seat_rows, strict=True)
        ]
    else:
        every_seat = [seat for seats in seat_rows for seat in seats]
        blocks = [BlockSpec(name=plan.name, capacity=quota, seats=every_seat)]
    return SectionSpec(
        name=plan.name,
        type=SectionType.SEATED,
        capacity=quota,
        price_tier=plan.price_tier,
        blocks=blocks,
    )
