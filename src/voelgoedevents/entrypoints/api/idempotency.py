"""An Idempotency-Key held by the request answering it: kept alive while it runs, settled once.

The key's record is in flight under a short lease (``workflows/access.py``). While the request
runs, the lease is renewed in the background, so a request slower than the lease keeps its key;
a dead one (its worker killed) stops renewing, and a retry takes over within seconds.

Settling stores the answer (or gives the key up, for answers that are not kept) before the
answer's last bytes are sent: a client holding the answer never finds its key still in flight.
It runs shielded from cancellation (a client that hangs up must not leave the key behind) and
tries again briefly if the database refuses; if it never can, the lease lapses on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from voelgoedevents.workflows.access import (
    RENEW_SECONDS,
    abandon_idempotent,
    finish_idempotent,
    renew_idempotent,
)
from voelgoedevents.workflows.services import Services

log = logging.getLogger("voelgoedevents.api")
SETTLE_ATTEMPTS = 3
SETTLE_BACKOFF_SECONDS = 0.1  # then 0.2: all of it well inside the lease
# Settlements still running after their request was cancelled: referenced until they finish.
_settling: set[asyncio.Task[None]] = set()


@dataclass(frozen=True)
class Answer:
    status_code: int
    content_type: str
    body: bytes


@dataclass
class HeldKey:
    """Start with ``keep()``; end with ``settle(answer)`` (``None``: give the key up)."""

    services: Services
    key_id: uuid.UUID
    key: str
    claimed_at: datetime
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _keeper: asyncio.Task[None] | None = None
    _settled: bool = False

    def keep(self) -> None:
        self._keeper = asyncio.create_task(self._renew_until_settled())

    async def _renew_until_settled(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), RENEW_SECONDS)
                return
            try:
                mine = await renew_idempotent(
                    self.services, key_id=self.key_id, key=self.key, claimed_at=self.claimed_at
                )
            except Exception:  # a busy database: the next round tries again
                log.warning("could not renew the lease of an Idempotency-Key", exc_info=True)
                continue
            if not mine:  # a retry took over after the lease lapsed: nothing left to keep
                return

    @property
    def settled(self) -> bool:
        return self._settled

    async def settle(self, answer: Answer | None) -> None:
        if self._settled:
            return
        self._settled = True
        task = asyncio.create_task(self._settle(answer))
        _settling.add(task)
        task.add_done_callback(_settling.discard)
        await asyncio.shield(task)

    async def _settle(self, answer: Answer | None) -> None:
        self._stop.set()
        if self._keeper is not None:
            await asyncio.gather(self._keeper, return_exceptions=True)
        for attempt in range(SETTLE_ATTEMPTS):
            try:
                await self._write(answer)
                return
            except Exception:
                if attempt + 1 == SETTLE_ATTEMPTS:
                    log.exception(
                        "could not settle an Idempotency-Key; it is free again once its lease "
                        "lapses"
                    )
                    return
                await asyncio.sleep(SETTLE_BACKOFF_SECONDS * 2**attempt)

    async def _write(self, answer: Answer | None) -> None:
        if answer is None:
            await abandon_idempotent(
                self.services, key_id=self.key_id, key=self.key, claimed_at=self.claimed_at
            )
        else:
            await finish_idempotent(
                self.services,
                key_id=self.key_id,
                key=self.key,
                claimed_at=self.claimed_at,
                status_code=answer.status_code,
                content_type=answer.content_type,
                body=answer.body,
            )
