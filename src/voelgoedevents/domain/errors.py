"""Errors the domain raises. Each carries a stable machine-readable ``code``.

Entry points translate them: the HTTP API into problem+json answers, the CLI into one line and a
non-zero exit. Nothing here knows about either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class DomainError(Exception):
    """A rule refused the operation. Nothing was changed."""

    code = "domain_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    """The thing does not exist, or belongs to another organisation (the two look the same)."""

    code = "not_found"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class InvalidInput(DomainError):
    code = "invalid_input"


class Conflict(DomainError):
    """The operation clashes with the current state (a duplicate name, say)."""

    code = "conflict"


class LayoutNotEditable(DomainError):
    code = "layout_not_draft"


class LayoutNotUsable(DomainError):
    code = "layout_not_active"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where (a JSON-path-like string) and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path or '<document>'}: {self.reason}"


class InvalidDocument(DomainError):
    """A layout document was rejected whole; ``problems`` lists every problem found."""

    code = "invalid_layout_document"

    def __init__(self, problems: list[Problem]) -> None:
        shown = "; ".join(str(problem) for problem in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"layout document rejected: {shown}{more}", problems=problems)
        self.problems = problems


def json_path(location: tuple[int | str, ...]) -> str:
    """Render a location like ``('sections', 2, 'name')`` as ``sections[2].name``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


# --- the hold engine's refusals -------------------------------------------------------------


class SeatUnavailable(DomainError):
    """Some requested seats cannot be held; ``seats`` maps each to why. Nothing was held."""

    code = "seat_unavailable"

    def __init__(self, refusals: dict[str, str]) -> None:
        listed = ", ".join(f"{seat} ({reason})" for seat, reason in list(refusals.items())[:5])
        super().__init__(f"seats unavailable: {listed}", seats=refusals)
        self.refusals = refusals


class CapacityExceeded(DomainError):
    code = "capacity_exceeded"


class EventNotOnSale(DomainError):
    code = "event_not_on_sale"


class HoldExpired(DomainError):
    code = "hold_expired"


class HoldNotActive(DomainError):
    code = "hold_not_active"


class OrderNotActive(DomainError):
    code = "order_not_active"


class IdempotencyKeyReused(DomainError):
    """The key was first used for a different request."""

    code = "idempotency_key_reused"


class Busy(DomainError):
    """Another request holds the seats' locks right now; try again shortly."""

    code = "busy"

    def __init__(self, message: str, *, retry_after_seconds: float = 1.0) -> None:
        super().__init__(message, retry_after=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


# --- access ---------------------------------------------------------------------------------


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_seconds: float = 1.0) -> None:
        super().__init__(message, retry_after=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


class IdempotencyInFlight(DomainError):
    """The same Idempotency-Key is being answered right now; ask again shortly."""

    code = "idempotency_key_in_flight"
