"""A block groups the seats of a seated section ("Row A", "Block 101")."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from voelgoedevents.domain.errors import Problem
from voelgoedevents.domain.fields import Count, JsonObject
from voelgoedevents.domain.seating.names import Name
from voelgoedevents.domain.seating.seat import SeatSpec


class BlockSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    capacity: Count = Field(description="Most seats this block may ever hold.")
    metadata: JsonObject = Field(default_factory=dict)
    seats: list[SeatSpec] = Field(default_factory=list)


def block_problems(block: BlockSpec, path: str) -> list[Problem]:
    """A block never holds more seats than its capacity."""
    if len(block.seats) > block.capacity:
        return [
            Problem(
                f"{path}.seats",
                f"block {block.name!r} holds {len(block.seats)} seats "
                f"but its capacity is {block.capacity}",
            )
        ]
    return []
