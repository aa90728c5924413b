"""Redis key names. Every key starts ``{namespace}:org:{organization_id}:``; the keys of one event
share the Redis Cluster hash tag ``{event_id}`` so that one script can touch them all. Nothing
else in a key is in braces: a seat id in braces would scatter one event's locks over the cluster.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from voelgoedevents.adapters.cache.port import EventKey


@dataclass(frozen=True)
class EventKeys:
    namespace: str
    event: EventKey

    @property
    def prefix(self) -> str:
        return f"{self.namespace}:org:{self.event.organization_id}:event:{{{self.event.event_id}}}:"

    @property
    def tenant_prefix(self) -> str:
        return f"{self.namespace}:org:{self.event.organization_id}:"

    @property
    def meta(self) -> str:
        """Hash: ``ready`` once a full copy is loaded, ``seats`` (the seat count)."""
        return self.prefix + "meta"

    @property
    def occupancy(self) -> str:
        """Bitmap, one bit per seat index: 1 = not available (held, sold or blocked)."""
        return self.prefix + "occupancy"

    @property
    def state(self) -> str:
        """Two bits per seat index: available, held, sold, blocked (enough to draw the map)."""
        return self.prefix + "state"

    @property
    def until(self) -> str:
        """48 bits per seat index: held-until in epoch milliseconds (0 when not held)."""
        return self.prefix + "until"

    @property
    def version(self) -> str:
        """32 bits per seat index: the row version of the state stored (the merge guard)."""
        return self.prefix + "version"

    @property
    def holds(self) -> str:
        """Sorted set: the hold registry, hold id scored by held-until (ms)."""
        return self.prefix + "holds"

    @property
    def standing(self) -> str:
        """Hash: ``used:{section}``, ``capacity:{section}``, ``version:{section}``."""
        return self.prefix + "standing"

    @property
    def rebuild_lock(self) -> str:
        return self.prefix + "rebuild"

    @property
    def changes_channel(self) -> str:
        """Pub/sub channel of applied seat changes (the live seat map feed)."""
        return self.prefix + "changes"

    def seat_lock(self, seat_id: uuid.UUID) -> str:
        return f"{self.prefix}hold:seat:{seat_id}"

    def data_keys(self) -> list[str]:
        """The event's structures, in the order every script takes them as KEYS[1..7]."""
        return [
            self.meta,
            self.occupancy,
            self.state,
            self.until,
            self.version,
            self.holds,
            self.standing,
        ]
