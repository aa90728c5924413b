"""Clocks to pass in as ``Services.clock``: the system's, and a scaled one for storms.

The domain never reads time itself (``domain/clock.py``); these are the adapters.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


def system_clock() -> datetime:
    return datetime.now(UTC)


class ScaledClock:
    """Time that starts at ``origin`` when the wall clock reads ``wall_zero`` and runs ``factor``
    times faster. Every process of a storm or a benchmark builds one from the same numbers, so
    they agree on the time and a ten-minute hold lapses in seconds for all of them."""

    def __init__(self, origin: datetime, wall_zero: float, factor: float) -> None:
        self.origin = origin
        self.wall_zero = wall_zero
        self.factor = factor

    def __call__(self) -> datetime:
        return self.origin + timedelta(seconds=(time.time() - self.wall_zero) * self.factor)
