"""Synthetic venue layouts for tests and benchmarks.

:func:`generate_layout` builds a :class:`~.layout.LayoutDocument` of a theatre, an arena or a
stadium with exactly the requested number of seats, placed so that plotting every seat at
``(x, y)`` (``y`` growing downward) draws a believable seating map. It does no I/O and uses only
its own ``random.Random(seed)``: the same ``(kind, seats, seed)`` always gives the same document.

Drawing units: one unit is roughly half a metre, the distance between neighbouring seats of a row.
Every row is a stretch of an ellipse (a circle in the theatre); seats are spread along it at that
pitch and centred, so a trimmed last row sits in the middle of its section rather than at one end.

What seat selection needs is there too: each layout's focal point (the theatre's stage front, the
arena's stage, the stadium's centre spot), aisles where real venues have them (at both ends of
every row; in a theatre also radial aisles cutting long rows into stretches of about
``_SEATS_BETWEEN_AISLES``), and each wheelchair space naming its companion seat.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import JsonValue

from voelgoedevents.domain.seating.generator_rows import (
    Arc,
    CategoryRule,
    Row,
    SectionPlan,
    Stretches,
    apportion,
    build_section,
    row_room,
)
from voelgoedevents.domain.seating.layout import MAX_SEATS_PER_LAYOUT, LayoutDocument
from voelgoedevents.domain.seating.seat import Point, SeatCategory
from voelgoedevents.domain.seating.section import SectionSpec, SectionType

VenueKind = Literal["theatre", "arena", "stadium"]
VENUE_KINDS: tuple[VenueKind, ...] = get_args(VenueKind)

_RADIAL_AISLE = 1.5  # walkway kept free at each side of a bowl section, between neighbours
_THEATRE_AISLE = 2.0  # an aisle between two stretches of a theatre row
_SEATS_BETWEEN_AISLES = 18  # a typical theatre stretch between aisles (traditional seating)
_STAGE_GAP = 3.0  # between the stage front and the first theatre row
_CONCOURSE = 6.0  # between the tiers of a bowl


def row_letters(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA", 27 -> "AB": spreadsheet style, so labels never run out."""
    label = ""
    index += 1
    while index:
        index, letter = divmod(index - 1, 26)
        label = chr(ord("A") + letter) + label
    return label


def _row_numbers(index: int) -> str:
    return str(index + 1)


# --- public API -----------------------------------------------------------------------------


def generate_layout(
    kind: VenueKind, seats: int, *, seed: int = 0, name: str | None = None
) -> LayoutDocument:
    """A synthetic layout of ``kind`` with exactly ``seats`` seated seats (1..200,000).

    Standing places (the arena floor) come on top of ``seats``, in ``total_capacity`` only.
    """
    if kind == "theatre":
        return theatre(seats, seed=seed, name=name)
    if kind == "arena":
        return arena(seats, seed=seed, name=name)
    if kind == "stadium":
        return stadium(seats, seed=seed, name=name)
    raise ValueError(f"unknown venue kind {kind!r}; expected one of {VENUE_KINDS}")


def theatre(seats: int, *, seed: int = 0, name: str | None = None) -> LayoutDocument:
    """Stage at the top; Stalls, then Circle and Upper Circle, in rows curving round the stage."""
    _check_seats(seats)
    rng = random.Random(seed)
    quotas = apportion(seats, _theatre_shares(seats, rng))
    row_pitch = rng.uniform(1.5, 1.8)
    radius = max(6.0, math.sqrt(quotas[0]) * rng.uniform(0.8, 1.0))
    # The rows are arcs around a point behind the stage front, so they curve round the stage.
    centre_y = -(radius - _STAGE_GAP)
    stage: dict[str, JsonValue] = {"x": 0.0, "y": -5.0, "width": round(radius, 2), "depth": 10.0}
    sections = []
    for position, quota in enumerate(quotas):
        section_name, price_tier = _THEATRE_SECTIONS[position]
        # Balconies wrap further round the hall than the stalls, as in a horseshoe auditorium.
        span = rng.uniform(1.0, 1.3) + 0.25 * position
        plan = SectionPlan(section_name, price_tier, block_per_row=True)
        plan.rows = _fan_rows(quota, centre_y, radius, span, row_pitch)
        plan.rules = [_wheelchair_rule(quota)] if position == 0 else [_restrict_circle_ends]
        sections.append(build_section(plan, quota))
        radius += len(plan.rows) * row_pitch + rng.uniform(4.0, 6.0)  # balcony front, walkway
    # The stage front's centre: the rows curve round a point behind it.
    focal = Point(x=0.0, y=0.0)
    return _document("theatre", seats, seed, name, sections, {"stage": stage}, focal)


def arena(seats: int, *, seed: int = 0, name: str | None = None) -> LayoutDocument:
    """Stage at the top end, a standing Floor, seated blocks round it in a horseshoe of tiers."""
    _check_seats(seats)
    rng = random.Random(seed)
    radius_x = min(max(math.sqrt(seats) * 0.5, 20.0), 160.0) * rng.uniform(0.9, 1.1)
    radius_y = radius_x * rng.uniform(0.6, 0.7)
    opening = math.radians(rng.uniform(80.0, 100.0))  # the stage end has no seats
    tiers = 1 if seats < 6_000 else 2 if seats < 40_000 else 3
    bowl = _Bowl(
        tier_names=("Block",) * tiers,
        price_tiers=("A", "B", "C")[:tiers],
        sections_per_tier=_sections_per_tier(seats, per_sqrt_seat=0.1, fewest=6, most=30),
        start=-math.pi + opening / 2,
        sweep=2 * math.pi - opening,
        radius_x=radius_x,
        radius_y=radius_y,
        row_pitch=rng.uniform(1.5, 1.8),
        row_label=row_letters,
    )
    floor_x, floor_y = radius_x - _STAGE_GAP, radius_y - _STAGE_GAP
    # About two people per square metre, a unit being half a metre; rounded as venues quote it.
    standing = max(50, round(math.pi * floor_x * floor_y * 0.5 / 50) * 50)
    floor_shape: dict[str, JsonValue] = {"shape": "ellipse", "x": 0.0, "y": 0.0}
    floor_shape |= {"radius_x": round(floor_x, 2), "radius_y": round(floor_y, 2)}
    floor = SectionSpec(
        name="Floor",
        type=SectionType.STANDING,
        capacity=standing,
        price_tier="GA",
        metadata=floor_shape,
    )
    focal = Point(x=0.0, y=round(-floor_y + 6.0, 2))  # the stage
    stage: dict[str, JsonValue] = {"x": focal.x, "y": focal.y, "width": 30.0}
    sections = [*_bowl_sections(bowl, seats), floor]
    metadata: dict[str, JsonValue] = {"stage": stage, "centre": [0.0, 0.0]}
    return _document("arena", seats, seed, name, sections, metadata, focal)


def stadium(seats: int, *, seed: int = 0, name: str | None = None) -> LayoutDocument:
    """A full oval of Lower (and, from 15,000 seats, Upper) tier sections round a pitch."""
    _check_seats(seats)
    rng = random.Random(seed)
    radius_x, radius_y = rng.uniform(125.0, 135.0), rng.uniform(88.0, 95.0)  # pitch and run-off
    two_tiers = seats >= 15_000
    bowl = _Bowl(
        tier_names=("Lower", "Upper") if two_tiers else ("Lower",),
        price_tiers=("A", "B") if two_tiers else ("A",),
        sections_per_tier=_sections_per_tier(seats, per_sqrt_seat=0.125, fewest=8, most=40),
        start=-math.pi,
        sweep=2 * math.pi,
        radius_x=radius_x,
        radius_y=radius_y,
        row_pitch=rng.uniform(1.5, 1.8),
        row_label=_row_numbers,
    )
    pitch: dict[str, JsonValue] = {"x": 0.0, "y": 0.0, "width": 210.0, "height": 136.0}
    metadata: dict[str, JsonValue] = {"pitch": pitch, "centre": [0.0, 0.0]}
    focal = Point(x=0.0, y=0.0)  # the centre spot
    return _document("stadium", seats, seed, name, _bowl_sections(bowl, seats), metadata, focal)


# --- theatre ----------------------------------------------------------------------------------

_THEATRE_SECTIONS = (("Stalls", "A"), ("Circle", "B"), ("Upper Circle", "C"))


def _theatre_shares(seats: int, rng: random.Random) -> list[int]:
    """Per-mille shares of the sections: the stalls hold most; small halls have fewer levels."""
    if seats < 60:
        return [1000]
    if seats < 400:
        return [700, 300]
    stalls, circle = rng.randint(500, 600), rng.randint(250, 300)
    return [stalls, circle, 1000 - stalls - circle]


def _fan_rows(
    quota: int, centre_y: float, radius: float, span: float, row_pitch: float
) -> list[Stretches]:
    """Rows on concentric arcs of the same angle, so each is longer than the one in front, cut
    by radial aisles (straight lines from the stage, as in a real hall) when rows are long."""
    rows = _fan(quota, centre_y, radius, span, row_pitch, wedges=1)
    middle_row = sorted(row[0].capacity for row in rows)[len(rows) // 2]
    wedges = max(1, round(middle_row / _SEATS_BETWEEN_AISLES))
    return rows if wedges == 1 else _fan(quota, centre_y, radius, span, row_pitch, wedges)


def _fan(
    quota: int, centre_y: float, radius: float, span: float, row_pitch: float, wedges: int
) -> list[Stretches]:
    rows: list[Stretches] = []
    room, width = 0, span / wedges
    aisle = _THEATRE_AISLE if wedges > 1 else 0.0  # half at each side of every stretch
    while room < quota:
        label = row_letters(len(rows))
        starts = [-span / 2 + wedge * width for wedge in range(wedges)]
        arcs = [Arc(0.0, centre_y, radius, radius, start, start + width) for start in starts]
        rows.append([Row(label, arc, aisle=aisle) for arc in arcs])
        room += row_room(rows[-1])
        radius += row_pitch
    return rows


def _wheelchair_rule(stalls_seats: int) -> CategoryRule:
    """Wheelchair spaces at the ends of the back row (step-free from the rear doors), each with
    a companion seat beside it; about one pair per 200 stalls seats, up to six."""
    pairs = min(max(stalls_seats // 200, 1), 6) if stalls_seats >= 40 else 0

    def add_wheelchair_spaces(rows: list[list[SeatCategory]]) -> list[tuple[int, int, int]]:
        back = next((r for r in reversed(range(len(rows))) if len(rows[r]) >= 2 * pairs + 2), None)
        if back is None:
            return []
        back_row, made = rows[back], []
        for pair in range(pairs):  # alternately at the left and the right end, working inward
            wheelchair = 2 * (pair // 2)
            companion = wheelchair + 1
            if pair % 2:
                wheelchair, companion = (
                    len(back_row) - 1 - wheelchair,
                    len(back_row) - 2 - companion + 1,
                )
            back_row[wheelchair] = SeatCategory.WHEELCHAIR
            back_row[companion] = SeatCategory.COMPANION
            made.append((back, wheelchair, companion))
        return made

    return add_wheelchair_spaces


def _restrict_circle_ends(rows: list[list[SeatCategory]]) -> list[tuple[int, int, int]]:
    """The balcony front rows' outermost seats look past the proscenium: restricted view."""
    for row in rows[:2]:
        if len(row) >= 3:
            row[0] = row[-1] = SeatCategory.RESTRICTED_VIEW
    return []


# --- arena and stadium ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bowl:
    """Tiers of sections round a centre: each section an annular sector, rows stepping outward."""

    tier_names: tuple[str, ...]  # "Lower" -> "Lower 101", "Lower 102"; the next tier is 2xx
    price_tiers: tuple[str, ...]
    sections_per_tier: int
    start: float
    sweep: float
    radius_x: float  # of the first row
    radius_y: float
    row_pitch: float
    row_label: Callable[[int], str]


def _sections_per_tier(seats: int, *, per_sqrt_seat: float, fewest: int, most: int) -> int:
    """More, not bigger, sections as the venue grows; a tiny venue gets one block per ~20 seats
    instead of a few seats scattered round the whole bowl."""
    fewest = min(fewest, max(1, seats // 20))
    return min(max(round(math.sqrt(seats) * per_sqrt_seat), fewest), most)


def _bowl_sections(bowl: _Bowl, seats: int) -> list[SectionSpec]:
    plans = _bowl_plans(bowl, seats)
    # Every section gives up the same share of its room, so trimmed rows are spread round the bowl.
    quotas = apportion(seats, [plan.capacity for plan in plans])
    return [build_section(plan, quota) for plan, quota in zip(plans, quotas, strict=True) if quota]


def _bowl_plans(bowl: _Bowl, seats: int) -> list[SectionPlan]:
    """Whole rings of rows, tier after tier, until the tiers together hold at least ``seats``."""
    tiers, width = len(bowl.tier_names), bowl.sweep / bowl.sections_per_tier
    plans: list[SectionPlan] = []
    offset, room = 0.0, 0
    for tier, tier_name in enumerate(bowl.tier_names):
        first_number = 100 * (tier + 1) + 1
        ring = [
            SectionPlan(f"{tier_name} {first_number + n}", bowl.price_tiers[tier], False)
            for n in range(bowl.sections_per_tier)
        ]
        tier_target = -(-seats * (tier + 1) // tiers)  # each tier takes about an equal share
        while room < tier_target:
            radius_x, radius_y = bowl.radius_x + offset, bowl.radius_y + offset
            for position, plan in enumerate(ring):
                start = bowl.start + position * width
                arc = Arc(0.0, 0.0, radius_x, radius_y, start, start + width)
                row = Row(bowl.row_label(len(plan.rows)), arc, aisle=2 * _RADIAL_AISLE)
                plan.rows.append([row])
                room += row.capacity
            offset += bowl.row_pitch
        offset += _CONCOURSE
        plans.extend(ring)
    return plans


# --- shared -----------------------------------------------------------------------------------


def _check_seats(seats: int) -> None:
    if not 1 <= seats <= MAX_SEATS_PER_LAYOUT:
        raise ValueError(f"seats must be between 1 and {MAX_SEATS_PER_LAYOUT}, got {seats}")


def _document(
    kind: VenueKind,
    seats: int,
    seed: int,
    name: str | None,
    sections: list[SectionSpec],
    metadata: dict[str, JsonValue],
    focal_point: Point,
) -> LayoutDocument:
    return LayoutDocument(
        name=name if name is not None else f"Synthetic {kind}, {seats} seats (seed {seed})",
        description=f"Generated by {__name__} for tests and benchmarks.",
        total_capacity=sum(section.capacity for section in sections),
        focal_point=focal_point,
        metadata={"generator": __name__, "kind": kind, "seed": seed, **metadata},
        sections=sections,
    )
