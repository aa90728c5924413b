"""A seat of a layout: where it is drawn, what kind it is, and whether it is ever sold.

A block lists each row's seats in the order they sit, left to right as seen from the seats (facing
the stage or the focal point): the seat map takes its neighbours from that order, and
``aisle_before`` / ``aisle_after`` say where an aisle interrupts it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from voelgoedevents.domain.fields import PLAIN, JsonObject

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16), PLAIN]


class SeatCategory(StrEnum):
    STANDARD = "standard"
    WHEELCHAIR = "wheelchair"
    COMPANION = "companion"
    RESTRICTED_VIEW = "restricted_view"
    AISLE = "aisle"


class LayoutSeatStatus(StrEnum):
    """A seat's standing state for every event using the layout.

    ``held`` and ``sold`` are never true of a layout seat: they are per event (see
    :mod:`voelgoedevents.domain.ticketing.inventory`).
    """

    AVAILABLE = "available"
    BLOCKED = "blocked"  # a pillar, a camera position: never sold in any event


class Point(BaseModel):
    """A position in drawing units, as the seats' ``x`` and ``y``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    x: float = Field(allow_inf_nan=False)
    y: float = Field(allow_inf_nan=False)


MAX_COMPANIONS = 8


class SeatSpec(BaseModel):
    """One seat as a layout document describes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    row: Label = Field(description="Row label as printed on the ticket, e.g. `A` or `12`.")
    number: Label = Field(description="Seat number within the row, e.g. `7` or `7A`.")
    x: float = Field(allow_inf_nan=False, description="Drawing position, left to right.")
    y: float = Field(allow_inf_nan=False, description="Drawing position, top to bottom.")
    category: SeatCategory = SeatCategory.STANDARD
    status: LayoutSeatStatus = LayoutSeatStatus.AVAILABLE
    rank: float | None = Field(
        default=None,
        allow_inf_nan=False,
        description="How good the seat is for best available: lower is better. Seats without a "
        "rank are judged by their distance to the focal point.",
    )
    aisle_before: bool = Field(
        default=False,
        description="An aisle lies before this seat in its row: between it and the seat listed "
        "before it, or at the row's start.",
    )
    aisle_after: bool = Field(
        default=False,
        description="An aisle lies after this seat in its row: between it and the seat listed "
        "after it, or at the row's end.",
    )
    companions: tuple[Label, ...] = Field(
        default=(),
        max_length=MAX_COMPANIONS,
        description="A wheelchair space's companion seats: the numbers of `companion` seats in "
        "the same row. Left out, a wheelchair space is paired with the companion seats right "
        "beside it.",
    )
    metadata: JsonObject = Field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        """Row and number: unique within a section."""
        return (self.row, self.number)
