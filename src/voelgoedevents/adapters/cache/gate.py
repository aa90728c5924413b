"""When may this process trust the cache? A circuit breaker and the set of stale events.

After a cache failure the breaker opens for ``cooldown`` seconds: workflows go straight to the
database instead of waiting on a dead Redis for every request. Events whose cache copy may be
behind the database (a committed change could not be applied) are "stale": nobody reads or
claims through the cache for them until they are rebuilt.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from voelgoedevents.adapters.metrics import CACHE_FALLBACKS


class CacheGate:
    def __init__(
        self,
        *,
        enabled: bool,
        cooldown_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self._cooldown = cooldown_seconds
        self._monotonic = monotonic
        self._open_until = 0.0
        self.stale: set[uuid.UUID] = set()
        # Stale marks this process could not write to the database: event id -> (organization
        # id, reason). They stay stale here, and the sweeper retries writing them.
        self.unrecorded: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
        self.failures = 0

    @property
    def available(self) -> bool:
        """The cache may be tried (a closed breaker, or its cooldown has passed)."""
        return self.enabled and self._monotonic() >= self._open_until

    def trusted_for(self, event_id: uuid.UUID) -> bool:
        return self.available and event_id not in self.stale

    def failed(self) -> None:
        CACHE_FALLBACKS.inc()
        self.failures += 1
        self._open_until = self._monotonic() + self._cooldown

    def succeeded(self) -> None:
        self._open_until = 0.0
