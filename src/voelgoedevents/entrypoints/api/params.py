"""The query parameters lists share, each described once for the OpenAPI document.

Text a client sends in a query goes through the same rule as text in a body (``PLAIN``).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from voelgoedevents.domain.fields import Text
from voelgoedevents.workflows.paging import MAX_CURSOR_LENGTH, MAX_LIMIT, MAX_SEAT_LIMIT

Cursor = Annotated[
    Text | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        description="Omit for the first page; then the `next_cursor` of the page before, from "
        "this same list with the same filters (a cursor of another list, or with other "
        "filters, answers 422 naming `cursor`).",
    ),
]
Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Items per page: 1 to {MAX_LIMIT}; 50 if omitted."),
]
SeatLimit = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_SEAT_LIMIT,
        description=f"Seats per page: 1 to {MAX_SEAT_LIMIT:,}; 1,000 if omitted.",
    ),
]
ActiveOnly = Annotated[
    bool,
    Query(
        description="`true` (the default): only holds still `active` (not yet sold, released "
        "or expired by the sweeper; one past its `held_until` shows `seconds_left` 0 until "
        "the sweeper expires it). `false`: every hold of the event, whatever its status.",
    ),
]
VenueFilter = Annotated[
    uuid.UUID | None,
    Query(description="Only this venue's layouts; omit for every layout of the organisation."),
]
