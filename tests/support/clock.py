from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


class ManualClock:
    """A clock that moves only when told: expiry tests are exact, not timed."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now
