"""Everything the engine stores, captured whole, so a test can prove a call changed nothing.

``database_snapshot`` reads every row of every table in ``Base.metadata``; ``redis_snapshot``
reads every key of a namespace with its type and value. Two snapshots compare with ``==``, and
``differences`` names what moved.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from redis.asyncio import Redis

from voelgoedevents.adapters.database import tables as _tables  # noqa: F401  (registers tables)
from voelgoedevents.adapters.database.base import Base
from voelgoedevents.bootstrap import Services

Snapshot = dict[str, Any]


async def database_snapshot(services: Services) -> Snapshot:
    """Every table's rows, as a sorted list of tuples of their values' reprs."""
    snapshot: Snapshot = {}
    async with services.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = (await connection.execute(sa.select(table))).all()
            snapshot[table.name] = sorted(tuple(repr(value) for value in row) for row in rows)
    return snapshot


# Per-second request counters of the rate limiter (they expire in two seconds): bookkeeping of
# the calls themselves, not state a call could change for anyone else.
VOLATILE_MARKERS = (":ratelimit:",)


async def redis_snapshot(client: Redis, namespace: str) -> Snapshot:
    """Every key of the namespace (rate-limit counters aside): its type and its whole value."""
    snapshot: Snapshot = {}
    async for raw in client.scan_iter(match=f"{namespace}:*", count=1000):
        key = raw.decode() if isinstance(raw, bytes) else raw
        if any(marker in key for marker in VOLATILE_MARKERS):
            continue
        kind = await client.type(key)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        value: Any
        if kind == "string":
            value = await client.get(key)
        elif kind == "hash":
            value = sorted((await client.hgetall(key)).items())
        elif kind == "set":
            value = sorted(await client.smembers(key))
        elif kind == "zset":
            value = await client.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            value = await client.lrange(key, 0, -1)
        elif kind == "stream":
            value = await client.xrange(key)
        elif kind == "none":  # expired between SCAN and TYPE
            continue
        else:
            raise AssertionError(f"{key}: a Redis type this snapshot does not know: {kind}")
        snapshot[key] = (kind, value)
    return snapshot


def differences(before: Snapshot, after: Snapshot, limit: int = 20) -> list[str]:
    """What changed between two snapshots, one line per table or key (for assertion messages)."""
    lines = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list):
            gone = [row for row in old if row not in new][:3]
            came = [row for row in new if row not in old][:3]
            lines.append(f"{name}: rows gone {gone}, rows new {came}")
        else:
            lines.append(f"{name}: {str(old)[:200]} -> {str(new)[:200]}")
    return lines[:limit]
