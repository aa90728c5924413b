"""A section of a layout ("Orchestra", "Balcony", "Standing pit"), with its pricing tier."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from voelgoedevents.domain.errors import Problem
from voelgoedevents.domain.fields import PLAIN, Count, JsonObject
from voelgoedevents.domain.seating.block import BlockSpec, block_problems
from voelgoedevents.domain.seating.names import Name

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
    return problems
