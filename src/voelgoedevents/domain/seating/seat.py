"""A seat of a layout: where it is drawn, what kind it is, and whether it is ever sold."""

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


class SeatSpec(BaseModel):
    """One seat as a layout document describes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    row: Label = Field(description="Row label as printed on the ticket, e.g. `A` or `12`.")
    number: Label = Field(description="Seat number within the row, e.g. `7` or `7A`.")
    x: float = Field(allow_inf_nan=False, description="Drawing position, left to right.")
    y: float = Field(allow_inf_nan=False, description="Drawing position, top to bottom.")
    category: SeatCategory = SeatCategory.STANDARD
    status: LayoutSeatStatus = LayoutSeatStatus.AVAILABLE
    metadata: JsonObject = Field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        """Row and number: unique within a section."""
        return (self.row, self.number)
