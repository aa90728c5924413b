"""The states of per-event inventory, holds and orders (the hold engine's vocabulary)."""

from __future__ import annotations

from enum import StrEnum


class SeatState(StrEnum):
    """A seat's state *in one event*."""

    AVAILABLE = "available"
    HELD = "held"
    SOLD = "sold"
    BLOCKED = "blocked"


class HoldStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    CONVERTED = "converted"  # became an order
    CANCELLED = "cancelled"  # released by its holder, an admin, or an event cancellation


class HoldSource(StrEnum):
    WEB = "web"
    SCANNER = "scanner"
    BACKOFFICE = "backoffice"


class OrderStatus(StrEnum):
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
