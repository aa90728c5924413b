"""A layout: a venue's reusable seating plan, its lifecycle and its whole-structure rules.

Lifecycle: ``draft -> active -> archived``. Only a draft's structure may change; activating
freezes it, so every event sold on it sees the same seats with the same dense indexes (the bit
offsets of the occupancy bitmaps). Changing an active layout means copying it to a new draft
version. An archived layout takes no new events.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from voelgoedevents.domain.errors import (
    InvalidDocument,
    InvalidTransition,
    LayoutNotEditable,
    LayoutNotUsable,
    Problem,
    json_path,
)
from voelgoedevents.domain.fields import PLAIN, Count, JsonObject
from voelgoedevents.domain.seating.block import BlockSpec
from voelgoedevents.domain.seating.names import Name
from voelgoedevents.domain.seating.seat import Point, SeatSpec
from voelgoedevents.domain.seating.section import SectionSpec, SectionType, section_problems

SCHEMA_VERSION: Literal[1] = 1
MAX_SEATS_PER_LAYOUT = 200_000


class LayoutStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


_TRANSITIONS: dict[LayoutStatus, frozenset[LayoutStatus]] = {
    LayoutStatus.DRAFT: frozenset({LayoutStatus.ACTIVE, LayoutStatus.ARCHIVED}),
    LayoutStatus.ACTIVE: frozenset({LayoutStatus.ARCHIVED}),
    LayoutStatus.ARCHIVED: frozenset(),
}


def transition_layout(current: LayoutStatus, target: LayoutStatus) -> LayoutStatus:
    if target not in _TRANSITIONS[current]:
        raise InvalidTransition(
            f"a {current.value} layout cannot become {target.value}",
            current=current.value,
            target=target.value,
        )
    return target


def ensure_structure_editable(status: LayoutStatus) -> None:
    if status is not LayoutStatus.DRAFT:
        raise LayoutNotEditable(
            f"only a draft layout's structure can change (this one is {status.value}); "
            "copy it to a new draft version instead",
            status=status.value,
        )


def ensure_accepts_events(status: LayoutStatus) -> None:
    """New events need an active layout: a draft may still change, an archived one is retired."""
    if status is not LayoutStatus.ACTIVE:
        raise LayoutNotUsable(
            f"events can only be created on an active layout (this one is {status.value})",
            status=status.value,
        )


class LayoutDocument(BaseModel):
    """A whole layout in one document: what is imported, exported and versioned.

    The published JSON Schema (``docs/layout-document.schema.json``) is generated from this model,
    so the schema and the validator cannot drift apart.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="VoelgoedEvents layout document",
        json_schema_extra={"$id": "https://voelgoedevents.example/schemas/layout-document-v1.json"},
    )

    schema_version: Literal[1] = SCHEMA_VERSION
    name: Name
    description: Annotated[str, StringConstraints(max_length=2_000), PLAIN] = ""
    total_capacity: Count = Field(description="Sum of the section capacities.")
    focal_point: Point | None = Field(
        default=None,
        description="What the seats face (the stage, the pitch's centre), in drawing units. "
        "Rows nearer to it are in front; a section may name its own.",
    )
    metadata: JsonObject = Field(default_factory=dict)
    sections: list[SectionSpec] = Field(min_length=1)

    @property
    def seat_count(self) -> int:
        return sum(section.seat_count for section in self.sections)

    def indexed_seats(self) -> Iterator[tuple[int, int, int, SeatSpec]]:
        """(section position, block position, dense seat index, seat) in document order.

        The dense index (0 .. n-1) is the seat's bit offset in every per-event bitmap.
        """
        index = 0
        for section_position, section in enumerate(self.sections):
            for block_position, block in enumerate(section.blocks):
                for seat in block.seats:
                    yield section_position, block_position, index, seat
                    index += 1

    def companion_links(self) -> dict[int, int]:
        """The dense index of each companion seat a wheelchair seat names -> the wheelchair
        seat's index. Only for a document whose rules hold (every name resolves)."""
        links: dict[int, int] = {}
        first = 0
        for section in self.sections:
            seats = [seat for block in section.blocks for seat in block.seats]
            if any(seat.companions for seat in seats):
                index_of = {seat.key: first + offset for offset, seat in enumerate(seats)}
                for offset, seat in enumerate(seats):
                    for number in seat.companions:
                        links[index_of[(seat.row, number)]] = first + offset
            first += len(seats)
        return links


def layout_problems(document: LayoutDocument) -> list[Problem]:
    """Every rule of the whole structure, each problem with its path."""
    problems: list[Problem] = []
    declared, actual = document.total_capacity, sum(s.capacity for s in document.sections)
    if declared != actual:
        problems.append(
            Problem(
                "total_capacity",
                f"total_capacity {declared} does not equal the sum of section capacities {actual}",
            )
        )
    if document.seat_count > MAX_SEATS_PER_LAYOUT:
        problems.append(Problem("sections", f"a layout holds at most {MAX_SEATS_PER_LAYOUT} seats"))
    first_by_name: dict[str, int] = {}
    for position, section in enumerate(document.sections):
        path = f"sections[{position}]"
        first = first_by_name.setdefault(section.name, position)
        if first != position:
            problems.append(
                Problem(
                    f"{path}.name",
                    f"duplicate section name {section.name!r} (first at sections[{first}])",
                )
            )
        problems.extend(section_problems(section, path))
    return problems


def parse_layout_document(raw: str | bytes | dict[str, object]) -> LayoutDocument:
    """Parse and check a document; on any problem raise :class:`InvalidDocument` listing all.

    Structure (types, required fields, unknown categories, malformed JSON) is checked first; the
    whole-structure rules run only on a structurally valid document.
    """
    try:
        if isinstance(raw, dict):
            document = LayoutDocument.model_validate(raw)
        else:
            document = LayoutDocument.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidDocument(_structural_problems(exc)) from None
    problems = layout_problems(document)
    if problems:
        raise InvalidDocument(problems)
    return document


def _structural_problems(exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        if error["type"] == "json_invalid":
            problems.append(Problem("", f"malformed JSON: {error['ctx'].get('error', '')}"))
            continue
        problems.append(Problem(json_path(tuple(error["loc"])), error["msg"]))
    return problems


def layout_document_schema() -> dict[str, object]:
    """The JSON Schema published in ``docs/``."""
    return LayoutDocument.model_json_schema(mode="validation")


__all__ = [
    "BlockSpec",
    "LayoutDocument",
    "LayoutStatus",
    "Point",
    "SeatSpec",
    "SectionSpec",
    "SectionType",
    "ensure_accepts_events",
    "ensure_structure_editable",
    "layout_document_schema",
    "layout_problems",
    "parse_layout_document",
    "transition_layout",
]
