"""The FastAPI application: ``create_app()`` (uvicorn runs it as a factory)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from voelgoedevents.adapters.cache.feed import RedisRelay
from voelgoedevents.bootstrap import build_services
from voelgoedevents.domain.seating.layout import LayoutDocument
from voelgoedevents.entrypoints.api import problems
from voelgoedevents.entrypoints.api.auth import current_caller
from voelgoedevents.entrypoints.api.limits import RateLimiter
from voelgoedevents.entrypoints.api.middleware import WRITES, AccessLog, BodyLimit, Idempotency
from voelgoedevents.entrypoints.api.routers import (
    events,
    holds,
    inventory,
    operations,
    platform,
    venues,
)
from voelgoedevents.settings import Settings, load_settings
from voelgoedevents.workflows.access import Authenticator, purge_idempotency_records
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.expire_holds import run_sweeper

log = logging.getLogger("voelgoedevents.api")
VERSION = "0.1.0"
IDEMPOTENCY_RETENTION = timedelta(hours=24)
RELAY_START_SECONDS = 5.0


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    background: bool = True,
) -> FastAPI:
    """Without ``services`` the app builds its own at start-up (and closes them at shutdown);
    tests pass theirs. ``background`` runs the sweeper in this process (every server does,
    safely side by side)."""
    settings = services.settings if services is not None else settings or load_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        running = services or build_services(settings)
        app.state.services = running
        app.state.authenticator = Authenticator(running)
        app.state.rate_limiter = RateLimiter(running)
        stop = asyncio.Event()
        tasks = []
        if running.redis is not None:
            relay = RedisRelay(running.redis.client, running.redis.namespace, running.feed)
            app.state.relay = relay
            tasks.append(asyncio.create_task(relay.run(stop)))
            # Serve once the relay listens, so a stream opened at start-up misses nothing; with
            # Redis down, serve anyway (from the database) and let the relay catch up.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(relay.subscribed.wait(), RELAY_START_SECONDS)
        if background:
            tasks.append(asyncio.create_task(run_sweeper(running, stop)))
            tasks.append(asyncio.create_task(_housekeeping(running, stop)))
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            if services is None:
                await running.aclose()

    app = FastAPI(
        title="VoelgoedEvents seating engine",
        version=VERSION,
        summary="Venue layouts, per-event seat inventory, holds and sales.",
        lifespan=lifespan,
    )
    problems.install(app)
    for module in (platform, venues, events, holds, inventory, operations):
        app.include_router(module.router)
    app.add_middleware(Idempotency)
    app.add_middleware(
        BodyLimit, limit=settings.api.max_body_bytes, document_limit=settings.api.max_document_bytes
    )
    app.add_middleware(AccessLog)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document, plus the layout document's schema (its routes read raw bodies)
    and the problem+json answers each operation may give."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, summary=app.summary, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    document = LayoutDocument.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(document.pop("$defs", {}))
    components["LayoutDocument"] = document
    components["Problem"] = {
        "type": "object",
        "description": "RFC 9457 problem details, with a stable `code`.",
        "properties": {
            key: {"type": kind}
            for key, kind in (
                ("type", "string"),
                ("title", "string"),
                ("status", "integer"),
                ("code", "string"),
                ("detail", "string"),
            )
        },
        "required": ["type", "title", "status", "code", "detail"],
    }
    problem = {
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    }
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in sorted(context.methods or ()):
            operation = schema["paths"][context.path_format][method.lower()]
            answers = operation.setdefault("responses", {})
            # FastAPI documents its own 422 body; ours is a problem (problems.install).
            if answers.get("422", {}).get("description") == "Validation Error":
                del answers["422"]
            for status in _problems(route, method, operation):
                answers.setdefault(status, {"description": PROBLEMS[status]})
            for status, answer in answers.items():
                if status >= "400" and "content" not in answer:
                    answer.update(problem)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema


PROBLEMS = {
    "401": "No or a bad API key",
    "403": "Not allowed",
    "404": "Not found (or another organisation's)",
    "409": "Refused in the current state",
    "413": "Body too large",
    "422": "Invalid request",
    "429": "Too many requests",
    "503": "Busy: retry",
}


def _problems(route: APIRoute, method: str, operation: dict[str, Any]) -> list[str]:
    """The problems this operation can answer. A route may list more itself (``responses=``);
    405 is never one: it answers a method no operation has."""
    statuses = ["413"]  # the body limit comes before everything, on every request
    write = method in WRITES
    if operation.get("parameters") or operation.get("requestBody") or write:
        statuses.append("422")  # and any write's Idempotency-Key
    if write:
        statuses.append("409")  # a state that refuses, or the same Idempotency-Key in flight
    if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
        statuses.append("404")
    if operation.get("security"):  # it takes an API key, looked up in the database
        statuses += ["401", "429", "503"]
        # Every keyed route checks the key's role, but those open to any key.
        if current_caller not in {dependency.call for dependency in route.dependant.dependencies}:
            statuses.append("403")
    return statuses


async def _housekeeping(services: Services, stop: asyncio.Event) -> None:
    """Forget stored idempotent answers after a day."""
    while not stop.is_set():
        try:
            await purge_idempotency_records(
                services, older_than=services.clock() - IDEMPOTENCY_RETENTION
            )
        except Exception:
            log.exception("idempotency housekeeping failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=600)
