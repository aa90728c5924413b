"""Redis restarts (empty) in the middle of loading an event: the load must fail, not declare a
half-loaded event ready; the next rebuild loads it whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from voelgoedevents.adapters.cache.port import CacheUnavailable, EventKey
from voelgoedevents.bootstrap import Services, build_services
from voelgoedevents.domain.ticketing.reservation import ReserveRequest
from voelgoedevents.settings import DatabaseSettings, HoldSettings, RedisSettings, load_settings
from voelgoedevents.workflows.ticketing.cache_sync import rebuild_event_cache, verify_event_cache
from voelgoedevents.workflows.ticketing.reserve_seat import reserve_seat

from support.chaos import RedisServer
from support.clock import ManualClock
from support.factories import on_sale_scenario
from support.holds import seat_ids


async def test_a_load_interrupted_by_a_restart_is_not_marked_ready(
    pg_services: Services, postgres_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    with RedisServer(tmp_path / "redis") as server:
        services = build_services(
            load_settings(
                database=DatabaseSettings(url=postgres_url),
                redis=RedisSettings(url=server.url, namespace="chaos"),
                holds=HoldSettings(),
            ),
            clock=clock,
            cache_mode="redis",
        )
        try:
            scenario = await on_sale_scenario(pg_services)
            event = EventKey(scenario.org_id, scenario.event.id)
            seats = await seat_ids(pg_services, scenario)
            await reserve_seat(
                services,
                organization_id=event.organization_id,
                event_id=event.event_id,
                request=ReserveRequest(seat_ids=seats[:2], holder_ref="a"),
            )
            await services.cache.invalidate(event)

            commit, calls = services.cache.commit, 0

            async def commit_then_restart(*args: Any, **kwargs: Any) -> None:
                nonlocal calls
                await commit(*args, **kwargs)
                calls += 1
                if calls == 1:  # the seats have landed; Redis dies and comes back empty
                    server.kill()
                    server.start()

            services.cache.commit = commit_then_restart  # type: ignore[method-assign]
            with pytest.raises(CacheUnavailable, match="while it was being loaded"):
                await rebuild_event_cache(services, event)
            services.cache.commit = commit  # type: ignore[method-assign]
            report = await verify_event_cache(services, event, repair=False)
            assert not report.loaded  # claims see the event cold and go to the database

            assert await rebuild_event_cache(services, event)
            report = await verify_event_cache(services, event, repair=False)
            assert report.loaded and report.drift == 0, report
        finally:
            await services.aclose()
