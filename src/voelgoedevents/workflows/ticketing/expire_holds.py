"""Expiry: the sweeper releases holds past their time, and keeps the cache honest.

Runs in-process in every API server and as the standalone ``voelgoed worker``; any number may run
at once (``FOR UPDATE SKIP LOCKED`` gives each sweeper different holds). An expired hold blocks
nobody even before it is swept; sweeping makes its seats show as free on every map.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from voelgoedevents.adapters.cache.port import CacheUnavailable, EventKey
from voelgoedevents.adapters.metrics import HOLDS_EXPIRED
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.cache_sync import rebuild_event_cache

log = logging.getLogger(__name__)
BATCH = 200


async def expire_due_holds(services: Services, *, limit: int = BATCH) -> int:
    """Expire up to ``limit`` holds whose time has passed, in one transaction (the ledger
    frees them in the global lock order, whichever order they fell due in)."""
    now = services.clock()
    async with services.uow() as uow:
        due = await uow.ledger.lock_due_holds(now, limit)
        await uow.ledger.expire(due, reason="expired", actor="system:sweeper", now=now)
        await uow.commit()
    HOLDS_EXPIRED.inc(len(due))
    return len(due)


async def rebuild_stale_events(services: Services) -> int:
    """Learn which events are stale (for every process), and rebuild them if the cache is up."""
    await services.cache_sync.record_unrecorded_marks()
    async with services.uow() as uow:
        marks = await uow.cache_marks.stale()
    services.gate.stale = {mark.event_id for mark in marks} | set(services.gate.unrecorded)
    if not services.gate.available:
        return 0
    rebuilt = 0
    for mark in marks:
        event = EventKey(mark.organization_id, mark.event_id)
        try:
            if not await rebuild_event_cache(services, event):
                continue
        except CacheUnavailable:
            services.gate.failed()
            return rebuilt
        async with services.uow() as uow:
            await uow.cache_marks.clear(mark.event_id, mark.stale_since)
            await uow.commit()
        services.gate.stale.discard(mark.event_id)
        rebuilt += 1
    return rebuilt


async def sweep_once(services: Services) -> int:
    expired = 0
    while (batch := await expire_due_holds(services)) > 0:
        expired += batch
        if batch < BATCH:
            break
    if services.gate.enabled:
        await rebuild_stale_events(services)
    return expired


async def run_sweeper(services: Services, stop: asyncio.Event) -> None:
    """Until ``stop`` is set: sweep, then wait one interval. Errors are logged, never fatal."""
    interval = services.settings.holds.sweep_interval_seconds
    while not stop.is_set():
        try:
            await sweep_once(services)
        except Exception:
            log.exception("sweep failed; trying again in %.1f s", interval)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
