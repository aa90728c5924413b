"""Hold latency below saturation: buyers arrive at a steady rate, not as a closed-loop crowd.

The storm (holds.py) keeps every buyer busy, so the machine is saturated by construction and a
request's latency there is mostly its wait in the queue (Little's law). This measures what one
hold costs when the engine keeps up: arrivals at a fixed rate (default 50 a second) with random
1-6 seat requests over the whole house, each hold released 0.2 s later. One process; the same
rate for every venue size, so the sizes compare like for like.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from typing import Any

from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.errors import DomainError
from voelgoedevents.domain.ticketing.reservation import ReserveRequest

from benchmarks.common import percentile


async def steady_latency(
    services: Services,
    organization_id: uuid.UUID,
    event_id: uuid.UUID,
    seat_ids: list[uuid.UUID],
    *,
    rate: float,
    seconds: float,
    seed: int = 11,
) -> dict[str, Any]:
    from voelgoedevents.workflows.ticketing.release_seat import release_seat
    from voelgoedevents.workflows.ticketing.reserve_seat import reserve_seat

    rng = random.Random(seed)
    latencies: list[float] = []
    refused = errors = 0
    await services.seat_maps.event(organization_id, event_id)

    async def buyer(wanted: list[uuid.UUID]) -> None:
        nonlocal refused, errors
        started = time.perf_counter()
        try:
            held = await reserve_seat(
                services,
                organization_id=organization_id,
                event_id=event_id,
                request=ReserveRequest(seat_ids=wanted, holder_ref="steady"),
            )
        except DomainError:
            refused += 1
            return
        except Exception:
            errors += 1
            return
        latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.2)
        await release_seat(services, organization_id=organization_id, hold_id=held.id)

    tasks = []
    begin = time.perf_counter()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, begin + n / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(buyer(rng.sample(seat_ids, rng.randint(1, 6)))))
    await asyncio.gather(*tasks)
    return {
        "holds": len(latencies),
        "refused": refused,
        "errors": errors,
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
    }
