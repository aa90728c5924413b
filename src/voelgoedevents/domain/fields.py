"""Field shapes the specs share: values both databases can store.

PostgreSQL refuses values Python holds without complaint: a NUL character in text or JSON, a lone
surrogate (``"\ud800"``: JSON may escape one, ``json.loads`` reads it, no driver can encode it),
NaN or Infinity in JSON, an integer past its 32-bit INTEGER columns, a time that cannot be
written in UTC. Left to the database, each is a failed write (a server error); here it is bad
input naming its field, the same on SQLite (which would store what PostgreSQL never could).

Every text a request carries (body fields, query parameters) is checked by ``PLAIN``, the one
rule for text: ``Annotated[str, ..., PLAIN]`` or the ``Text`` shorthand.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, JsonValue

MAX_INTEGER = 2**31 - 1  # the INTEGER columns of both databases' schemas


def storable_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


def _plain_input(value: Any) -> Any:
    """Before any other check of the field (its length, trimming): a lone surrogate would
    otherwise fail some of them with pydantic's own words and pass others, so every text field
    says the same thing. What is not text is left to the field's type to refuse."""
    return storable_text(value) if isinstance(value, str) else value


def _check_json(value: JsonValue) -> None:
    if isinstance(value, str):
        storable_text(value)
    elif isinstance(value, float) and not math.isfinite(value):
        # JSON has no NaN or Infinity (json.loads reads them, and 1e400 as inf); jsonb refuses them.
        raise ValueError("must hold finite numbers only (no NaN or Infinity)")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json(key)
            _check_json(item)
    elif isinstance(value, list):
        for item in value:
            _check_json(item)


def storable_json(value: dict[str, JsonValue]) -> dict[str, JsonValue]:
    _check_json(value)
    return value


def storable_time(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range: in UTC it must fall in the years 1 to 9999") from None
    return value


# Append to a string's Annotated constraints: Annotated[str, StringConstraints(...), PLAIN].
PLAIN = BeforeValidator(_plain_input)
Text = Annotated[str, PLAIN]
Count = Annotated[int, Field(ge=0, le=MAX_INTEGER)]
JsonObject = Annotated[dict[str, JsonValue], AfterValidator(storable_json)]
Instant = Annotated[AwareDatetime, AfterValidator(storable_time)]
