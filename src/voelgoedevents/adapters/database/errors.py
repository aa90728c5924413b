"""Translate database constraint violations into domain errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError

from voelgoedevents.domain.errors import Conflict


@asynccontextmanager
async def unique_violation_as_conflict(message: str) -> AsyncIterator[None]:
    """Workflows check for duplicates first, for a friendly answer; the unique constraint still
    decides a race, and this turns its error into the same answer."""
    try:
        yield
    except IntegrityError as exc:
        if _is_unique_violation(exc):
            raise Conflict(message) from None
        raise


def _is_unique_violation(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "unique" in text or "duplicate key" in text
