"""A section of a layout ("Orchestra", "Balcony", "Standing pit"), with its pricing tier."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from voelgoedevents.domain.errors import Problem
from voelgoedevents.domain.fields import PLAIN, Count, JsonObject
from voelgoedevents.domain.seating.block import BlockSpec, block_problems
from voelgoedevents.domain.seating.names import Name
from voelgoedevents.domain.seating.seat import Point, SeatCategory, SeatSpec

PriceTier = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), PLAIN
]


class SectionType(StrEnum):
    SEATED = "seated"  # capacity is the number of its seats
    STANDING = "standing"  # capacity is a number of places; it has no seats


class SectionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    type: SectionType
    capacity: Count
    price_tier: PriceTier | None = None
    focal_point: Point | None = Field(
        default=None,
        description="What this section's seats face (a stage, a pitch's centre), in drawing "
        "units; overrides the layout's. Rows nearer to it are in front.",
    )
    metadata: JsonObject = Field(default_factory=dict)
    blocks: list[BlockSpec] = Field(default_factory=list)

    @property
    def seat_count(self) -> int:
        return sum(len(block.seats) for block in self.blocks)


def section_problems(section: SectionSpec, path: str) -> list[Problem]:
    """Capacity rules of one section, its blocks' rules, and seat uniqueness within it."""
    if section.capacity == 0:
        return [Problem(f"{path}.capacity", "a section must hold at least one seat or place")]
    if section.type is SectionType.STANDING:
        if section.blocks:
            return [Problem(f"{path}.blocks", "a standing section has no blocks or seats")]
        return []
    problems: list[Problem] = []
    if section.capacity != section.seat_count:
        problems.append(
            Problem(
                f"{path}.capacity",
                f"a seated section's capacity must equal its seats: "
                f"capacity {section.capacity}, seats {section.seat_count}",
            )
        )
    block_names: dict[str, int] = {}
    seat_keys: dict[tuple[str, str], str] = {}
    for block_index, block in enumerate(section.blocks):
        block_path = f"{path}.blocks[{block_index}]"
        if block.name in block_names:
            problems.append(
                Problem(
                    f"{block_path}.name",
                    f"duplicate block name {block.name!r} "
                    f"(first at {path}.blocks[{block_names[block.name]}])",
                )
            )
        block_names.setdefault(block.name, block_index)
        problems.extend(block_problems(block, block_path))
        for seat_index, seat in enumerate(block.seats):
            seat_path = f"{block_path}.seats[{seat_index}]"
            first = seat_keys.setdefault(seat.key, seat_path)
            if first != seat_path:
                problems.append(
                    Problem(
                        seat_path,
                        f"duplicate seat row {seat.row!r} number {seat.number!r} "
                        f"in section {section.name!r} (first at {first})",
                    )
                )
    problems.extend(companion_problems(section, path))
    return problems


def companion_problems(section: SectionSpec, path: str) -> list[Problem]:
    """A wheelchair space names ``companion`` seats of its own row, each bound to it alone."""
    if not any(seat.companions for block in section.blocks for seat in block.seats):
        return []  # the usual case: spare a large section the lookup below
    seats: dict[tuple[str, str], tuple[str, SeatSpec]] = {}
    for block_index, block in enumerate(section.blocks):
        for seat_index, seat in enumerate(block.seats):
            seat_path = f"{path}.blocks[{block_index}].seats[{seat_index}]"
            seats.setdefault(seat.key, (seat_path, seat))
    problems: list[Problem] = []
    bound_to: dict[tuple[str, str], str] = {}
    for seat_path, seat in seats.values():
        if seat.companions and seat.category is not SeatCategory.WHEELCHAIR:
            problems.append(
                Problem(
                    f"{seat_path}.companions",
                    f"only a wheelchair seat names companions (this one is {seat.category.value})",
                )
            )
            continue
        for position, number in enumerate(seat.companions):
            reason = _companion_problem(section, seat, number, seats, bound_to)
            if reason:
                problems.append(Problem(f"{seat_path}.companions[{position}]", reason))
            else:
                bound_to[(seat.row, number)] = seat_path
    return problems


def _companion_problem(
    section: SectionSpec,
    wheelchair: SeatSpec,
    number: str,
    seats: dict[tuple[str, str], tuple[str, SeatSpec]],
    bound_to: dict[tuple[str, str], str],
) -> str | None:
    key = (wheelchair.row, number)
    found = seats.get(key)
    seat = f"seat {number!r} of row {wheelchair.row!r}"
    if found is None:
        return f"no {seat} in section {section.name!r}"
    if number == wheelchair.number:
        return "a seat cannot be its own companion"
    if found[1].category is not SeatCategory.COMPANION:
        return f"{seat} is {found[1].category.value}, not a companion seat"
    if key in bound_to:
        return f"{seat} is already the companion of {bound_to[key]}"
    return None
