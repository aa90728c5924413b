"""A venue as an organiser describes it."""

from __future__ import annotations

from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from voelgoedevents.domain.fields import PLAIN, Count, JsonObject

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), PLAIN]


class VenueSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PLAIN
    ]
    address: Text = ""
    city: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), PLAIN] = ""
    country: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), PLAIN] = ""
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), PLAIN] = ""
    timezone: Annotated[str, PLAIN] = "Africa/Johannesburg"
    capacity: Count = 0
    settings: JsonObject = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        if zone not in _zones():
            raise ValueError(
                f"unknown time zone {zone!r} (use an IANA name like Africa/Johannesburg)"
            )
        return zone


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())
