"""The tables of a layout (seed sub-phases 8.1.1, 8.1.2, 8.2.1, 8.2.2)."""

from voelgoedevents.adapters.database.tables.seating.block import Block
from voelgoedevents.adapters.database.tables.seating.layout import Layout
from voelgoedevents.adapters.database.tables.seating.seat import Seat
from voelgoedevents.adapters.database.tables.seating.section import Section

__all__ = ["Block", "Layout", "Seat", "Section"]
