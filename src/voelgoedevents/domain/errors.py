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
