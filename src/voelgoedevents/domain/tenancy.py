"""Tenancy: every child belongs to its parent's organisation.

The database enforces the same rule with composite foreign keys on
``(parent_id, organization_id)``; this function lets a workflow refuse early with a clear error.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, field_validator

from voelgoedevents.domain.errors import NotFound
from voelgoedevents.domain.fields import PLAIN, JsonObject
from voelgoedevents.domain.ticketing.policy import PolicyOverrides


def ensure_same_organization(*, caller: UUID, owner: UUID, what: str) -> None:
    """Another tenant's object answers exactly like one that does not exist."""
    if caller != owner:
        raise NotFound(f"{what} not found")


class OrganizationSpec(BaseModel):
    """A new organisation: the tenant. ``settings`` may carry its seating policy overrides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PLAIN
    ]
    slug: Annotated[
        str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"), PLAIN
    ]
    settings: JsonObject = Field(default_factory=dict)

    @field_validator("settings")
    @classmethod
    def _policy_in_bounds(cls, settings: dict[str, JsonValue]) -> dict[str, JsonValue]:
        PolicyOverrides.model_validate(settings)
        return settings
