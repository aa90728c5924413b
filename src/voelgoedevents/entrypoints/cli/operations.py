"""Operators' commands: the sweeper worker, the cache, the invariant checker."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import typer
from rich.table import Table

from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.bootstrap import Services, build_services
from voelgoedevents.entrypoints.cli.common import (
    console,
    fail,
    organization_id,
    parse_uuid,
    print_json,
    run_workflow,
)
from voelgoedevents.settings import SettingsError, load_settings
from voelgoedevents.workflows.ticketing.cache_sync import rebuild_event_cache, verify_event_cache
from voelgoedevents.workflows.ticketing.expire_holds import run_sweeper
from voelgoedevents.workflows.ticketing.invariants import check_event

cache_app = typer.Typer(help="The Redis copy of an event: rebuild, verify.", no_args_is_help=True)
check_app = typer.Typer(help="Invariant checks on the database.", no_args_is_help=True)


async def _event_key(services: Services, org: str, event: str) -> EventKey:
    org_id = await organization_id(services, org)
    event_id = parse_uuid(event, "event")
    await services.seat_maps.event(org_id, event_id)  # NotFound for another tenant's event
    return EventKey(org_id, event_id)


@cache_app.command()
def rebuild(
    event: str = typer.Argument(..., help="Event id."),
    org: str = typer.Option(..., help="Organisation slug or id."),
) -> None:
    """Load the event's structures into Redis from the database."""

    async def work(services: Services) -> bool:
        if services.cache.mode != "redis":
            raise fail("no Redis configured (VOELGOED_REDIS_URL): nothing to rebuild")
        return await rebuild_event_cache(services, await _event_key(services, org, event))

    if not run_workflow(work):
        raise fail("another process is rebuilding this event right now; try again shortly")
    console.print("rebuilt")


@cache_app.command()
def verify(
    event: str = typer.Argument(..., help="Event id."),
    org: str = typer.Option(..., help="Organisation slug or id."),
    repair: bool = typer.Option(False, help="Make Redis equal to the database."),
) -> None:
    """Compare Redis with the database for one event; exit 1 on drift (unless repaired)."""

    async def work(services: Services):  # type: ignore[no-untyped-def]
        if services.cache.mode != "redis":
            raise fail("no Redis configured (VOELGOED_REDIS_URL): nothing to verify")
        return await verify_event_cache(
            services, await _event_key(services, org, event), repair=repair
        )

    report = run_workflow(work)
    table = Table(
        "seats checked",
        "seat drift",
        "standing drift",
        "holds missing",
        "holds extra",
        "loaded",
        "repaired",
    )
    table.add_row(
        str(report.seats_checked),
        str(len(report.seats)),
        str(len(report.standing)),
        str(len(report.holds_missing)),
        str(len(report.holds_extra)),
        str(report.loaded),
        str(report.repaired),
    )
    console.print(table)
    for drift in report.seats[:20]:
        console.print(
            f"  seat index {drift.index}: redis {drift.cached}, database {drift.database}"
        )
    if report.drift and not report.repaired:
        raise typer.Exit(1)


@check_app.command("event")
def check_event_command(
    event: str = typer.Argument(..., help="Event id."),
    org: str = typer.Option(..., help="Organisation slug or id."),
) -> None:
    """Replay every seat's history and check owners and counts; exit 1 on any problem."""

    async def work(services: Services):  # type: ignore[no-untyped-def]
        key = await _event_key(services, org, event)
        return await check_event(
            services, organization_id=key.organization_id, event_id=key.event_id
        )

    report = run_workflow(work)
    print_json(
        {
            "event_id": str(report.event_id),
            "seats": report.seats,
            "changes": report.changes,
            "problems": report.problems[:100],
            "ok": report.ok,
        }
    )
    if not report.ok:
        raise typer.Exit(1)


def worker() -> None:
    """Run the hold sweeper (and cache rebuilds of stale events) until stopped."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise fail(str(exc), 2) from None
    console.print(
        f"sweeper running every {settings.holds.sweep_interval_seconds} s; Ctrl-C stops it"
    )
    asyncio.run(_sweep_until_stopped(build_services(settings)))


async def _sweep_until_stopped(services: Services) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await run_sweeper(services, stop)
    finally:
        await services.aclose()


def bench(
    name: str = typer.Argument(..., help="layouts, holds, http or all"),
    extra: list[str] | None = typer.Argument(None, help="Options passed to the benchmark."),
) -> None:
    """Run a benchmark from the source tree's benchmarks/ (writes docs/benchmarks.md)."""
    root = Path(__file__).resolve().parents[4]
    if not (root / "benchmarks" / "__main__.py").exists():
        raise fail("the benchmarks live in the source tree: run this from a checkout")
    command = [sys.executable, "-m", "benchmarks", name, *(extra or [])]
    raise typer.Exit(subprocess.call(command, cwd=root))


def openapi(output: Path | None = typer.Option(None, "--output", "-o")) -> None:
    """Print the HTTP API's OpenAPI document (checked in as docs/openapi.json)."""
    from voelgoedevents.entrypoints.api.app import create_app

    text = json.dumps(create_app(load_settings()).openapi(), indent=2, sort_keys=True) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
