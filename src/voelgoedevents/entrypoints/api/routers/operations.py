"""Health and metrics (no credentials: a load balancer and Prometheus call these)."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from voelgoedevents.adapters.metrics import render
from voelgoedevents.entrypoints.api.auth import ServicesDep
from voelgoedevents.entrypoints.api.schemas import Health

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(services: ServicesDep) -> JSONResponse:
    """200 when the database answers and the cache (if any) is usable; 503 otherwise. The cache
    must run with maxmemory-policy noeviction: any eviction could drop a lock or a bitmap."""
    try:
        async with services.engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
        database = {"ok": True, "dialect": services.engine.dialect.name}
    except Exception as exc:
        database = {"ok": False, "error": str(exc)[:200]}
    cache = await services.cache.health()
    ok = bool(database["ok"]) and bool(cache.get("ok"))
    body = Health(ok=ok, database=database, cache=cache)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", response_class=Response)
async def metrics() -> Response:
    """Prometheus text format: holds by outcome, hold latency, lock waits, expiries, cache
    rebuilds and fallbacks, request durations by route."""
    body, content_type = render()
    return Response(body, media_type=content_type)
