"""Prometheus instruments. Workflows record; ``GET /metrics`` renders.

With several server processes, ``voelgoed serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` so every
process writes its samples there and any process can render the sum.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

HOLD_ATTEMPTS = Counter("voelgoed_hold_attempts_total", "Reserve requests by outcome.", ["outcome"])
HOLD_LATENCY = Histogram(
    "voelgoed_hold_latency_seconds",
    "Time to answer a reserve request, whatever the answer.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
LOCK_WAITS = Counter(
    "voelgoed_lock_waits_total", "Seat-lock claims retried because another request held a lock."
)
HOLDS_EXPIRED = Counter("voelgoed_holds_expired_total", "Holds released by the sweeper.")
CACHE_REBUILDS = Counter("voelgoed_cache_rebuilds_total", "Events loaded into the cache.")
CACHE_FALLBACKS = Counter(
    "voelgoed_cache_fallbacks_total",
    "Cache calls that failed, sending the work to the database alone.",
)
HTTP_REQUESTS = Histogram(
    "voelgoed_http_request_seconds",
    "HTTP requests by route and status.",
    ["route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
