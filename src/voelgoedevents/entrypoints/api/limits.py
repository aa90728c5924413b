"""Rate limits per API key: a count per key per second, in Redis when configured (so every
worker shares it), otherwise in this process."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict

from redis.exceptions import RedisError

from voelgoedevents.domain.errors import RateLimited
from voelgoedevents.workflows.access import Caller
from voelgoedevents.workflows.services import Services


class RateLimiter:
    def __init__(self, services: Services) -> None:
        self.limit = services.settings.api.rate_limit_per_second
        self._redis = services.redis
        self._local: dict[tuple[uuid.UUID, int], int] = defaultdict(int)

    async def check(self, caller: Caller) -> None:
        if not self.limit:
            return
        second = int(time.time())
        count = await self._count(caller, second)
        if count > self.limit:
            raise RateLimited(
                f"more than {self.limit} requests per second for this key", retry_after_seconds=1
            )

    async def _count(self, caller: Caller, second: int) -> int:
        if self._redis is not None:
            owner = f"org:{caller.organization_id}" if caller.organization_id else "platform"
            key = f"{self._redis.namespace}:{owner}:ratelimit:{caller.key_id}:{second}"
            try:
                async with self._redis.client.pipeline(transaction=True) as pipe:
                    pipe.incr(key)
                    pipe.expire(key, 2)
                    count, _ = await pipe.execute()
                return int(count)
            except (RedisError, OSError):
                pass  # Redis down: limit per process rather than not at all
        if len(self._local) > 10_000:
            self._local = defaultdict(int, {k: v for k, v in self._local.items() if k[1] >= second})
        self._local[(caller.key_id, second)] += 1
        return self._local[(caller.key_id, second)]
