"""The seat cache in Redis (a single node or a cluster): bitmaps, the hold registry, the locks.

Two scripts do the work (``scripts/claim.lua``, ``scripts/commit.lua``), each touching only one
event's keys, which share a hash tag. Both are safe to run twice for the same request: the
client (configured in ``bootstrap.redis_client``) re-sends a command whose reply was lost, and
the scripts answer such a repeat as they answered the first run.
Every Redis error becomes :class:`CacheUnavailable`; the caller then relies on the database.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from voelgoedevents.adapters.cache.keys import EventKeys
from voelgoedevents.adapters.cache.port import (
    CODE_STATES,
    STATE_CODES,
    CachedInventory,
    CacheUnavailable,
    Claim,
    ClaimStatus,
    CommitBatch,
    EventKey,
    EventSnapshot,
    SeatRef,
    deadline_ms,
    epoch_ms,
)

LOAD_CHUNK = 5_000  # seats per script call while loading: keeps each call to a few ms

Client = Redis | RedisCluster


@dataclass(frozen=True)
class RedisConnection:
    """A process's Redis client and the namespace that starts every key it writes."""

    client: Client
    namespace: str


def _script(name: str) -> str:
    return (files("voelgoedevents.adapters.cache") / "scripts" / name).read_text()


class RedisSeatCache:
    mode = "redis"

    def __init__(self, client: Client, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self._claim = client.register_script(_script("claim.lua"))
        self._commit = client.register_script(_script("commit.lua"))
        self._unlock = client.register_script(_script("unlock.lua"))
        self._ready = client.register_script(_script("ready.lua"))

    def keys(self, event: EventKey) -> EventKeys:
        return EventKeys(self.namespace, event)

    async def _run(self, script: Any, keys: Sequence[str], args: Sequence[object]) -> Any:
        try:
            return await script(keys=list(keys), args=list(args))
        except (RedisError, OSError) as exc:
            raise CacheUnavailable(f"redis: {exc}") from exc

    async def claim(
        self,
        event: EventKey,
        seats: Sequence[SeatRef],
        *,
        token: str,
        lease_ms: int,
        now: datetime,
    ) -> Claim:
        keys = self.keys(event)
        reply = await self._run(
            self._claim,
            [*keys.data_keys(), *(keys.seat_lock(seat.seat_id) for seat in seats)],
            [token, lease_ms, epoch_ms(now), *(seat.index for seat in seats)],
        )
        status = ClaimStatus(reply[0].decode())
        if status is ClaimStatus.CLAIMED:
            pairs = reply[1:]
            return Claim(
                status,
                versions={seat.index: int(pairs[2 * n]) for n, seat in enumerate(seats)},
                observed={
                    seat.index: CODE_STATES[int(pairs[2 * n + 1])] for n, seat in enumerate(seats)
                },
            )
        if status is ClaimStatus.UNAVAILABLE:
            pairs = reply[1:]
            return Claim(
                status,
                unavailable={
                    int(pairs[i]): CODE_STATES[int(pairs[i + 1])] for i in range(0, len(pairs), 2)
                },
            )
        return Claim(status)

    async def commit(
        self, event: EventKey, batch: CommitBatch, *, force: bool = False, publish: bool = True
    ) -> None:
        keys = self.keys(event)
        args: list[object] = [
            batch.unlock_token or "",
            keys.changes_channel if publish else "",
            str(event.event_id),
            "1" if force else "0",
            len(batch.seats),
        ]
        for seat in batch.seats:
            args += [
                seat.index,
                seat.version,
                STATE_CODES[seat.state],
                deadline_ms(seat.held_until),
            ]
        args.append(len(batch.standing))
        for area in batch.standing:
            args += [str(area.section_id), area.version, area.used, area.capacity]
        args.append(len(batch.holds_set))
        for entry in batch.holds_set:
            args += [str(entry.hold_id), deadline_ms(entry.held_until)]
        args.append(len(batch.holds_removed))
        args += [str(hold_id) for hold_id in batch.holds_removed]
        locks = [keys.seat_lock(seat.seat_id) for seat in batch.unlock_seats]
        await self._run(self._commit, [*keys.data_keys(), *locks], args)

    async def unlock(self, event: EventKey, seats: Sequence[SeatRef], token: str) -> None:
        keys = self.keys(event)
        await self._run(self._unlock, [keys.seat_lock(seat.seat_id) for seat in seats], [token])

    async def load(self, event: EventKey, snapshot: EventSnapshot, *, force: bool = False) -> None:
        """Merge the snapshot in chunks (Redis stays responsive), then mark the event ready.

        The load carries a token from its first call to its last: if Redis restarts in between
        (and comes back empty), the last call finds the token gone and the load fails rather
        than declaring a half-loaded event complete.
        """
        keys = self.keys(event)
        token = uuid.uuid4().hex
        try:
            await self.client.hset(keys.meta, "loading", token)
        except (RedisError, OSError) as exc:
            raise CacheUnavailable(f"redis: {exc}") from exc
        seats = list(snapshot.seats)
        for start in range(0, max(len(seats), 1), LOAD_CHUNK):
            await self.commit(
                event,
                CommitBatch(seats=seats[start : start + LOAD_CHUNK]),
                force=force,
                publish=False,
            )
        await self.commit(
            event, CommitBatch(standing=snapshot.standing), force=force, publish=False
        )
        # The registry on its own: a standing area already newer must not hold it back.
        await self.commit(event, CommitBatch(holds_set=snapshot.holds), publish=False)
        if not await self._run(self._ready, [keys.meta], [token, snapshot.seat_count]):
            raise CacheUnavailable("redis lost the event's data while it was being loaded")

    async def remove_holds(self, event: EventKey, hold_ids: Sequence[uuid.UUID]) -> None:
        if hold_ids:
            await self.commit(event, CommitBatch(holds_removed=hold_ids), publish=False)

    async def registry(self, event: EventKey) -> set[uuid.UUID]:
        try:
            members = await self.client.zrange(self.keys(event).holds, 0, -1)
        except (RedisError, OSError) as exc:
            raise CacheUnavailable(f"redis: {exc}") from exc
        return {uuid.UUID(_text(member)) for member in members}

    async def read(self, event: EventKey, seat_count: int) -> CachedInventory | None:
        keys = self.keys(event)
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.hget(keys.meta, "ready")
                pipe.get(keys.state)
                pipe.get(keys.version)
                pipe.hgetall(keys.standing)
                pipe.zrange(keys.holds, 0, -1, withscores=True)
                ready, states, versions, standing, holds = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise CacheUnavailable(f"redis: {exc}") from exc
        if ready != b"1":
            return None
        return CachedInventory(
            states=(states or b"").ljust((seat_count * 2 + 7) // 8, b"\0"),
            versions=_decode_versions(versions or b""),
            standing=_decode_standing(standing),
            holds={
                uuid.UUID(hold.decode()): datetime.fromtimestamp(score / 1000, UTC)
                for hold, score in holds
            },
        )

    async def invalidate(self, event: EventKey) -> None:
        try:
            await self.client.hdel(self.keys(event).meta, "ready")
        except (RedisError, OSError) as exc:
            raise CacheUnavailable(f"redis: {exc}") from exc

    async def resync(self, event: EventKey) -> None:
        """On the channel the commit script publishes changes to: every relay passes it on in
        order with them."""
        message = json.dumps({"event": str(event.event_id), "resync": True})
        try:
            await self.client.publish(self.keys(event).changes_channel, message)
        except (RedisError, OSError) as exc:
            raise CacheUnavailable(f"redis: {exc}") from exc

    async def try_lock_rebuild(self, event: EventKey, token: str, lease_ms: int) -> bool:
        try:
            return bool(
                await self.client.set(self.keys(event).rebuild_lock, token, nx=True, px=lease_ms)
            )
        except (RedisError, OSError) as exc:
            raise CacheUnavailable(f"redis: {exc}") from exc

    async def unlock_rebuild(self, event: EventKey, token: str) -> None:
        await self._run(self._unlock, [self.keys(event).rebuild_lock], [token])

    async def health(self) -> dict[str, object]:
        try:
            await self.client.ping()
            policy = (await self.client.info("memory")).get("maxmemory_policy")  # CONFIG may be off
        except (RedisError, OSError) as exc:
            return {"ok": False, "mode": self.mode, "error": str(exc)}
        if isinstance(policy, bytes):
            policy = policy.decode()
        return {
            "ok": policy == "noeviction",
            "mode": self.mode,
            "maxmemory_policy": policy,
            **(
                {}
                if policy == "noeviction"
                else {"error": "maxmemory-policy must be noeviction: any eviction can drop a lock"}
            ),
        }

    async def close(self) -> None:
        await self.client.aclose()


def _decode_versions(raw: bytes) -> dict[int, int]:
    """32-bit big-endian unsigned integers, one per seat index (Redis BITFIELD u32 layout)."""
    versions = {}
    for index in range(len(raw) // 4):
        version = int.from_bytes(raw[index * 4 : index * 4 + 4], "big")
        if version:
            versions[index] = version
    return versions


def _decode_standing(raw: dict[bytes, bytes]) -> dict[uuid.UUID, tuple[int, int, int]]:
    fields = {key.decode(): int(value) for key, value in raw.items()}
    sections = {name.split(":", 1)[1] for name in fields if name.startswith("version:")}
    return {
        uuid.UUID(section): (
            fields.get(f"used:{section}", 0),
            fields.get(f"capacity:{section}", 0),
            fields[f"version:{section}"],
        )
        for section in sections
    }


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
