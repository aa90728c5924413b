"""Seating policy: how long holds last and how many seats one booking may take.

The platform sets defaults and bounds (settings); an organisation may override them within the
bounds, and an event may override its organisation. Resolution is pure: give it the three layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from voelgoedevents.domain.errors import InvalidInput, json_path

MIN_HOLD_SECONDS = 60  # one minute
MAX_HOLD_SECONDS = 7_200  # two hours


class PolicyOverrides(BaseModel):
    """What an organisation's or an event's ``settings`` may say about seating."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    hold_seconds: int | None = Field(default=None, ge=MIN_HOLD_SECONDS, le=MAX_HOLD_SECONDS)
    max_seats_per_booking: int | None = Field(default=None, ge=1, le=100)
    max_total_hold_seconds: int | None = Field(
        default=None, ge=MIN_HOLD_SECONDS, le=2 * MAX_HOLD_SECONDS
    )


def parse_overrides(settings: dict[str, Any] | None, *, where: str) -> PolicyOverrides:
    try:
        return PolicyOverrides.model_validate(settings or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = json_path(tuple(first["loc"]))
        raise InvalidInput(f"{where}.{field}: {first['msg']}", field=f"{where}.{field}") from None


@dataclass(frozen=True)
class SeatingPolicy:
    hold_seconds: int
    max_seats_per_booking: int
    max_total_hold_seconds: int

    @property
    def hold_duration(self) -> timedelta:
        return timedelta(seconds=self.hold_seconds)

    @property
    def max_hold_life(self) -> timedelta:
        """A hold, extensions included, never outlives its creation by more than this."""
        return timedelta(seconds=max(self.max_total_hold_seconds, self.hold_seconds))

    @classmethod
    def resolve(cls, platform: SeatingPolicy, *layers: PolicyOverrides) -> SeatingPolicy:
        """Later layers win: ``resolve(platform, organisation, event)``."""
        values = {
            "hold_seconds": platform.hold_seconds,
            "max_seats_per_booking": platform.max_seats_per_booking,
            "max_total_hold_seconds": platform.max_total_hold_seconds,
        }
        for layer in layers:
            values.update(layer.model_dump(exclude_none=True))
        return cls(**values)
