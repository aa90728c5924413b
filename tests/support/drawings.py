"""Seats drawn as text, for tests a reader checks by eye.

One line per row, seats left to right as seen from them; ``|`` is an aisle (at either end: the
row ends at an aisle). A seat is its row letters and number, then optional marks: ``w``
wheelchair, ``c`` companion, ``r`` restricted view, ``a`` an aisle seat (category), ``x``
blocked in the layout. A line may start with ``<block name>:``; other lines go to block
``Main``. Each seat is drawn where it is written: x is its column, y its line.

    | A1 A2 | A3w A4c |
      B1 B2   B3  B4
"""

from __future__ import annotations

import re
from typing import Any

from voelgoedevents.domain.seating.layout import parse_layout_document
from voelgoedevents.domain.seating.seat_map import LayoutSeatMap
from voelgoedevents.domain.seating.seat_map_build import seat_map_of_document

_SEAT = re.compile(r"^([A-Z]+)(\d+)([wcrax]*)$")
_CATEGORY = {"w": "wheelchair", "c": "companion", "r": "restricted_view", "a": "aisle"}


def drawn_section(drawing: str, name: str = "Stalls", **fields: Any) -> dict[str, Any]:
    """A seated section of a layout document, as a dict (tests may change it)."""
    blocks: dict[str, list[dict[str, Any]]] = {}
    lines = [line for line in drawing.splitlines() if line.strip()]
    for y, line in enumerate(lines):
        block, _, seats = line.rpartition(":")
        row = blocks.setdefault(block.strip() or "Main", [])
        _add_row(row, seats, y, offset=len(line) - len(seats))
    count = sum(len(seats) for seats in blocks.values())
    return {
        "name": name,
        "type": "seated",
        "capacity": count,
        "blocks": [
            {"name": block, "capacity": len(seats), "seats": seats}
            for block, seats in blocks.items()
        ],
        **fields,
    }


def _add_row(seats: list[dict[str, Any]], line: str, y: int, offset: int) -> None:
    first, aisle_at_start = len(seats), False
    for match in re.finditer(r"\S+", line):
        token = match.group()
        if token == "|":
            if len(seats) > first:
                seats[-1]["aisle_after"] = True
            else:
                aisle_at_start = True
            continue
        parsed = _SEAT.match(token)
        if parsed is None:
            raise ValueError(f"not a seat: {token!r}")
        row, number, marks = parsed.groups()
        seat: dict[str, Any] = {"row": row, "number": number, "x": offset + match.start(), "y": y}
        for mark in marks:
            if mark == "x":
                seat["status"] = "blocked"
            else:
                seat["category"] = _CATEGORY[mark]
        if aisle_at_start and len(seats) == first:
            seat["aisle_before"] = True
        seats.append(seat)


def drawn_document(*sections: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "name": "Drawn hall",
        "total_capacity": sum(section["capacity"] for section in sections),
        "sections": list(sections),
        **fields,
    }


def drawn_map(drawing: str, **fields: Any) -> tuple[LayoutSeatMap, dict[str, int]]:
    """The map of one drawn section, and each seat's index by its label ("A1")."""
    seat_map = map_of(drawn_document(drawn_section(drawing), **fields))
    return seat_map, labels(seat_map)


def map_of(document: dict[str, Any]) -> LayoutSeatMap:
    return seat_map_of_document(parse_layout_document(document))


def labels(seat_map: LayoutSeatMap) -> dict[str, int]:
    return {f"{seat.row}{seat.number}": seat.index for seat in seat_map.by_index}


def label(seat_map: LayoutSeatMap, index: int | None) -> str | None:
    if index is None:
        return None
    seat = seat_map.by_index[index]
    return f"{seat.row}{seat.number}"
