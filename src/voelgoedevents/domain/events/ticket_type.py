"""Ticket types: what is sold for an event, and at what price."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from voelgoedevents.domain.fields import PLAIN, Count, Instant

CENT = Decimal("0.01")


class TicketKind(StrEnum):
    GA = "ga"  # general admission: a quantity, no seat
    SEATED = "seated"  # priced through the section's price_tier


class TicketTypeStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


class TicketTypeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PLAIN
    ]
    price: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), PLAIN] = "ZAR"
    kind: TicketKind
    price_tier: Annotated[str, StringConstraints(min_length=1, max_length=50), PLAIN] | None = None
    total_quantity: Count = 0
    sale_start_at: Instant | None = None
    sale_end_at: Instant | None = None

    @field_validator("price")
    @classmethod
    def _in_cents(cls, price: Decimal) -> Decimal:
        """Stored with two decimals: say so from the start, so the answer to the create reads
        like every later read ("120.50", never "120.5")."""
        return price.quantize(CENT)

    @model_validator(mode="after")
    def _consistent(self) -> TicketTypeSpec:
        if self.kind is TicketKind.SEATED and self.price_tier is None:
            raise ValueError("a seated ticket type is priced through a section price_tier")
        if self.sale_start_at and self.sale_end_at and self.sale_start_at >= self.sale_end_at:
            raise ValueError("sale_start_at must be before sale_end_at")
        return self
