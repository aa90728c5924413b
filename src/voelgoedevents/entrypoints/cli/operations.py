"""Operators' commands: the sweeper worker, the cache, the invariant checker."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
from pathlib import Path

import typer
from rich.table import Table

from voelgoedevents.adapters.cache.port import EventKey
from voelgoedevents.bootstrap import build_services
from voelgoedevents.entrypoints.cli.common import organization_id, parse_uuid, run_workflow
from voelgoedevents.entrypoints.cli.database import require_ready
from voelgoedevents.entrypoints.cli.output import (
    EXIT_REFUSED,
    EXIT_SETUP,
    JSON,
    OUTPUT,
    console,
    fail,
    print_json,
    print_table,
    write_output,
)
from voelgoedevents.entrypoints.cli.progress import Step, steps
from voelgoedevents.settings import load_settings
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.ticketing.cache_sync import (
    DriftReport,
    rebuild_event_cache,
    verify_event_cache,
)
from voelgoedevents.workflows.ticketing.expire_holds import run_sweeper
from voelgoedevents.workflows.ticketing.invariants import InvariantReport, check_event

cache_app = typer.Typer(help="The Redis copy of an event: rebuild, verify.", no_args_is_help=True)
check_app = typer.Typer(help="Invariant checks on the database.", no_args_is_help=True)

NO_CACHE = "no cache configured: no Redis configured (VOELGOED_REDIS_URL), nothing to {}"


async def _event_key(services: Services, org: str, event: str, step: Step) -> EventKey:
    """The event, its seat map loaded (the first step of every command here)."""
    org_id = await organization_id(services, org)
    event_id = parse_uuid(event, "event")
    step("loading the seat map")
    await services.seat_maps.event(org_id, event_id)  # NotFound for another tenant's event
    return EventKey(org_id, event_id)


@cache_app.command()
def rebuild(
    event: str = typer.Argument(..., help="Event id."),
    org: str = typer.Option(..., help="Organisation slug or id."),
) -> None:
    """Load the event's structures into Redis from the database.

    Exit codes: 0 rebuilt; 1 refused (not found, or another process is rebuilding it);
    2 no cache configured.
    """

    async def work(services: Services) -> bool:
        if services.cache.mode != "redis":
            raise fail(NO_CACHE.format("rebuild"), EXIT_SETUP)
        with steps("rebuilding the cache", 2) as step:
            key = await _event_key(services, org, event, step)
            step("loading it into Redis")
            return await rebuild_event_cache(services, key)

    if not run_workflow(work):
        raise fail("another process is rebuilding this event right now; try again shortly")
    console.print("rebuilt")


@cache_app.command()
def verify(
    event: str = typer.Argument(..., help="Event id."),
    org: str = typer.Option(..., help="Organisation slug or id."),
    repair: bool = typer.Option(False, help="Make Redis equal to the database."),
    as_json: bool = JSON,
) -> None:
    """Compare Redis with the database for one event.

    Exit codes: 0 no drift (or drift repaired); 1 drift found and not repaired, or refused (an
    event not found); 2 no cache configured (nothing to compare), or not set up.
    """

    async def work(services: Services) -> DriftReport:
        if services.cache.mode != "redis":
            raise fail(NO_CACHE.format("verify"), EXIT_SETUP)
        with steps("verifying the cache", 2) as step:
            key = await _event_key(services, org, event, step)
            step("comparing Redis with the database")
            return await verify_event_cache(services, key, repair=repair)

    report = run_workflow(work)
    if as_json:
        print_json({**dataclasses.asdict(report), "drift": report.drift})
    else:
        _print_drift(report)
    if report.drift and not report.repaired:
        raise typer.Exit(EXIT_REFUSED)


def _print_drift(report: DriftReport) -> None:
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
    print_table(table)
    for drift in report.seats[:20]:
        console.print(
            f"  seat index {drift.index}: redis {drift.cached}, database {drift.database}"
        )


@check_app.command("event")
def check_event_command(
    event: str = typer.Argument(..., help="Event id."),
    org: str = typer.Option(..., help="Organisation slug or id."),
    as_json: bool = JSON,
) -> None:
    """Replay every seat's history and check owners and counts.

    Exit codes: 0 ok; 1 a problem found, or refused (an event not found); 2 not set up.
    """

    async def work(services: Services) -> InvariantReport:
        with steps("checking the event", 2) as step:
            key = await _event_key(services, org, event, step)
            step("replaying every seat's history")
            return await check_event(
                services, organization_id=key.organization_id, event_id=key.event_id
            )

    report = run_workflow(work)
    if as_json:
        print_json(
            {
                "event_id": str(report.event_id),
                "seats": report.seats,
                "changes": report.changes,
                "problems": report.problems[:100],
                "ok": report.ok,
            }
        )
    else:
        table = Table("seats", "changes", "problems", "result")
        table.add_row(
            str(report.seats),
            str(report.changes),
            str(len(report.problems)),
            "ok" if report.ok else "PROBLEMS",
        )
        print_table(table)
        for problem in report.problems[:100]:
            console.print(f"  {problem}", highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(EXIT_REFUSED)


def worker() -> None:
    """Run the hold sweeper (and cache rebuilds of stale events) until stopped."""
    settings = load_settings()
    asyncio.run(require_ready(settings.database.url))
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


def openapi(output: Path | None = OUTPUT) -> None:
    """Print the HTTP API's OpenAPI document (checked in as docs/openapi.json)."""
    from voelgoedevents.entrypoints.api.app import create_app

    text = json.dumps(create_app(load_settings()).openapi(), indent=2, sort_keys=True) + "\n"
    write_output(text, output)
