"""`voelgoed serve` and `voelgoed demo`."""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import uuid
from dataclasses import dataclass
from datetime import timedelta

import typer
import uvicorn

from voelgoedevents.adapters.database.migrate import upgrade
from voelgoedevents.bootstrap import build_services
from voelgoedevents.domain.access import ApiKeySpec, Role, stream_token
from voelgoedevents.domain.events.event import EventSpec, EventStatus
from voelgoedevents.domain.seating.generator import generate_layout
from voelgoedevents.domain.seating.layout import LayoutStatus
from voelgoedevents.domain.tenancy import OrganizationSpec
from voelgoedevents.domain.venue import VenueSpec
from voelgoedevents.entrypoints.cli.database import require_reachable, require_ready, shown
from voelgoedevents.entrypoints.cli.output import EXIT_SETUP, console, fail
from voelgoedevents.logs import UVICORN_LOG_CONFIG
from voelgoedevents.settings import Settings, load_settings
from voelgoedevents.workflows import access, listing, tenancy
from voelgoedevents.workflows.events.create_event import create_event
from voelgoedevents.workflows.events.event_status import change_event_status
from voelgoedevents.workflows.seating.import_layout import import_layout
from voelgoedevents.workflows.seating.layout_lifecycle import change_layout_status
from voelgoedevents.workflows.services import Services

APP = "voelgoedevents.entrypoints.api.app:create_app"
DEMO_SLUG = "demo"
# uvicorn's supervisor kills a worker that does not answer its ping within this, starting ones
# included. Its default (5 s) is less than a spawned worker may take to import the app on a
# loaded 2-core machine; a worker that really hangs is still replaced, half a minute later.
WORKER_HEALTHCHECK_SECONDS = 30


def require_free_port(host: str, port: int) -> None:
    """Refuse, before anything is set up, an address another program listens on: otherwise
    `demo` would create its data and print commands aimed at that other server."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise fail(f"cannot listen on {host!r}: {exc.strerror}; check --host", EXIT_SETUP) from None
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by a server just stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise fail(
                f"cannot listen on {host}:{port} ({exc.strerror}): another program has it; "
                "choose another port with --port",
                EXIT_SETUP,
            ) from None


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535),
    workers: int = typer.Option(1, min=1, max=64, help="Server processes (more need Redis)."),
) -> None:
    """Serve the HTTP API (each process also runs the hold sweeper). Refuses to start on a
    database that is not migrated to this version (`voelgoed db upgrade`)."""
    settings = load_settings()
    if workers > 1 and not settings.redis.enabled:
        raise fail(
            "several workers need Redis (set VOELGOED_REDIS_URL): without it the locks, the "
            "cache and the live seat feed live inside one process",
            EXIT_SETUP,
        )
    require_free_port(host, port)
    asyncio.run(require_ready(settings.database.url))
    if workers > 1:  # every process writes its metrics where any process can add them up
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="voelgoed-"))
    uvicorn.run(
        APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        log_config=UVICORN_LOG_CONFIG,
        access_log=False,
    )


def demo(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535),
) -> None:
    """Set up a demo (organisation, venue, 800-seat theatre, an event on sale), print a key
    and the URLs to try, and serve. Runs with no servers at all on the embedded default."""
    settings = load_settings()
    require_free_port(host, port)
    asyncio.run(require_reachable(settings.database.url, create=True))
    upgrade(settings.database.url)
    seeded = asyncio.run(_seed(settings))
    base = f"http://{host}:{port}"
    token = stream_token(settings.api.secret, seeded.organization_id, seeded.event_id)
    auth = f"-s -H 'Authorization: Bearer {seeded.key}'"
    seats = ", ".join(f'"{seat}"' for seat in seeded.first_seats)
    body = f'{{"seat_ids": [{seats}], "holder_ref": "me"}}'
    event = f"{base}/events/{seeded.event_id}"
    console.print(
        f"""
[bold]VoelgoedEvents seating engine: demo[/]  (database: {shown(settings.database.url)})

  API key (admin, shown once): {seeded.key}
  Event on sale:               {seeded.event_id}

  API docs:      {base}/docs
  Seat map:      curl {auth} {event}/inventory
  Live stream:   curl -N '{event}/seats/stream?token={token}'
  Hold 2 seats:  curl {auth} -H 'Content-Type: application/json' -d '{body}' {event}/holds
""",
        highlight=False,
        soft_wrap=True,
    )
    uvicorn.run(
        APP, factory=True, host=host, port=port, log_config=UVICORN_LOG_CONFIG, access_log=False
    )


@dataclass(frozen=True)
class _Demo:
    key: str
    organization_id: uuid.UUID
    event_id: uuid.UUID
    first_seats: list[uuid.UUID]


async def _seed(settings: Settings) -> _Demo:
    services = build_services(settings)
    try:
        organization = await _demo_organization(services)
        event_id = await _demo_event(services, organization.id)
        _, token = await access.create_api_key(
            services,
            organization_id=organization.id,
            spec=ApiKeySpec(name="demo admin", role=Role.ADMIN),
        )
        context = await services.seat_maps.event(organization.id, event_id)
        assert context.seat_map is not None
        seats = [seat.seat_id for seat in context.seat_map.by_index[10:12]]
        return _Demo(token, organization.id, event_id, seats)
    finally:
        await services.aclose()


async def _demo_organization(services: Services):  # type: ignore[no-untyped-def]
    for organization in (await listing.list_organizations(services, limit=200)).items:
        if organization.slug == DEMO_SLUG:
            return organization
    return await tenancy.create_organization(
        services, OrganizationSpec(name="Demo Events", slug=DEMO_SLUG)
    )


async def _demo_event(services: Services, organization_id):  # type: ignore[no-untyped-def]
    events = await listing.list_events(services, organization_id=organization_id, limit=200)
    for event in events.items:
        if event.status == EventStatus.PUBLISHED.value and event.end_at > services.clock():
            return event.id
    venue = await tenancy.create_venue(
        services,
        organization_id=organization_id,
        spec=VenueSpec(name="Demo Theatre", city="Pretoria"),
    )
    layout = await import_layout(
        services,
        organization_id=organization_id,
        venue_id=venue.id,
        document=generate_layout("theatre", 800, seed=1, name="Demo Theatre"),
    )
    await change_layout_status(
        services, organization_id=organization_id, layout_id=layout.id, target=LayoutStatus.ACTIVE
    )
    now = services.clock()
    event = await create_event(
        services,
        organization_id=organization_id,
        spec=EventSpec(
            venue_id=venue.id,
            layout_id=layout.id,
            name="Opening Night",
            start_at=now + timedelta(days=30),
            end_at=now + timedelta(days=30, hours=3),
            sale_start_at=now - timedelta(hours=1),
        ),
    )
    await change_event_status(
        services, organization_id=organization_id, event_id=event.id, target=EventStatus.PUBLISHED
    )
    return event.id
