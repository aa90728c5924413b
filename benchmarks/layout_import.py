"""Import generated layouts of 1k, 10k and 100k seats: seconds and peak memory.

Each case runs in a fresh process so its peak RSS is its own. Also timed: export, loading the
active layout's seat map (once per process per layout: rows, neighbours, aisles), and creating
an event on the layout (its per-event inventory, built with INSERT ... SELECT).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from voelgoedevents.adapters.database.migrate import upgrade
from voelgoedevents.adapters.database.repositories.seat_maps import SeatMapCache
from voelgoedevents.bootstrap import build_services
from voelgoedevents.domain.events.event import EventSpec
from voelgoedevents.domain.seating.generator import generate_layout
from voelgoedevents.domain.seating.layout import LayoutStatus
from voelgoedevents.domain.tenancy import OrganizationSpec
from voelgoedevents.domain.venue import VenueSpec
from voelgoedevents.settings import DatabaseSettings, load_settings
from voelgoedevents.workflows.events.create_event import create_event
from voelgoedevents.workflows.seating.import_layout import export_layout, import_layout
from voelgoedevents.workflows.seating.layout_lifecycle import change_layout_status
from voelgoedevents.workflows.tenancy import create_organization, create_venue

from benchmarks.common import markdown_table, record, scratch_postgres

SIZES = (1_000, 10_000, 100_000)
TARGET_SECONDS_100K = 10.0
TARGET_MAP_SECONDS_100K = 1.0


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _one_case(url: str, seats: int) -> dict[str, Any]:
    document_json = generate_layout("stadium", seats, seed=1).model_dump_json()
    rss_before = _peak_rss_mib()
    services = build_services(load_settings(database=DatabaseSettings(url=url)))
    try:
        organization = await create_organization(
            services, OrganizationSpec(name="Bench", slug=f"bench-{seats}")
        )
        venue = await create_venue(
            services, organization_id=organization.id, spec=VenueSpec(name="Stadium")
        )
        started = time.perf_counter()
        layout = await import_layout(
            services, organization_id=organization.id, venue_id=venue.id, document=document_json
        )
        imported = time.perf_counter() - started
        rss_after_import = _peak_rss_mib()
        started = time.perf_counter()
        await export_layout(services, organization_id=organization.id, layout_id=layout.id)
        exported = time.perf_counter() - started
        await change_layout_status(
            services,
            organization_id=organization.id,
            layout_id=layout.id,
            target=LayoutStatus.ACTIVE,
        )
        seat_maps = SeatMapCache(services.sessions)  # a cold one, as a new process has
        started = time.perf_counter()
        await seat_maps.layout(layout.id)
        map_seconds = time.perf_counter() - started
        now = services.clock()
        started = time.perf_counter()
        from datetime import timedelta

        await create_event(
            services,
            organization_id=organization.id,
            spec=EventSpec(
                venue_id=venue.id,
                layout_id=layout.id,
                name="Match",
                start_at=now + timedelta(days=9),
                end_at=now + timedelta(days=9, hours=2),
            ),
        )
        event_seconds = time.perf_counter() - started
    finally:
        await services.aclose()
    return {
        "seats": seats,
        "import_s": imported,
        "export_s": exported,
        "map_s": map_seconds,
        "event_s": event_seconds,
        "import_peak_mib": rss_after_import - rss_before,
        "peak_rss_mib": _peak_rss_mib(),
    }


def _child(database: str, url: str, seats: int) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.layout_import", "--case", database, url, str(seats)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {"database": database, **json.loads(output.stdout.strip().splitlines()[-1])}


async def _postgres_cases(sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    results = []
    for seats in sizes:
        async with scratch_postgres() as url:  # a fresh database per size: no warm tables
            results.append(await asyncio.to_thread(_child, "postgresql", url, seats))
    return results


def _sqlite_cases(sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    results = []
    for seats in sizes:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            upgrade(url)
            results.append(_child("sqlite", url, seats))
    return results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="seats, comma-separated")


def main(arguments: argparse.Namespace) -> None:
    sizes = tuple(int(size) for size in arguments.sizes.split(","))
    results = asyncio.run(_postgres_cases(sizes)) + _sqlite_cases(sizes)
    rows = [
        (
            r["database"],
            f"{r['seats']:,}",
            f"{r['import_s']:.2f}",
            f"{r['seats'] / r['import_s']:,.0f}",
            f"{r['export_s']:.2f}",
            f"{r['map_s']:.2f}",
            f"{r['event_s']:.2f}",
            f"{r['import_peak_mib']:.0f}",
            f"{r['peak_rss_mib']:.0f}",
        )
        for r in results
    ]
    table = markdown_table(
        [
            "database",
            "seats",
            "import s",
            "seats/s",
            "export s",
            "seat map load s",
            "create event s",
            "import peak +MiB",
            "process peak MiB",
        ],
        rows,
    )
    print(table)
    biggest = max((r for r in results if r["database"] == "postgresql"), key=lambda r: r["seats"])
    verdict = (
        f"Target: {biggest['seats']:,} seats imported in under {TARGET_SECONDS_100K:.0f} s on "
        f"PostgreSQL: **{'met' if biggest['import_s'] < TARGET_SECONDS_100K else 'missed'}** "
        f"({biggest['import_s']:.1f} s).\nTarget: the seat map of {biggest['seats']:,} seats "
        f"loaded in under {TARGET_MAP_SECONDS_100K:.0f} s on PostgreSQL: "
        f"**{'met' if biggest['map_s'] < TARGET_MAP_SECONDS_100K else 'missed'}** "
        f"({biggest['map_s']:.2f} s)."
    )
    print(verdict)
    record(
        "layouts",
        "Layout import (generated stadium layouts)",
        "Import = parse and check the JSON document, then write layout, sections, blocks and "
        "seats in one transaction. Create event = the event row plus one inventory row per "
        "seat (INSERT ... SELECT). Seat map load = read an active layout's seats and build its "
        "map (rows, neighbours, aisles, companions), as each process does once per layout. "
        "Peak memory: the growth of the process's peak RSS during "
        "the import, and the process's whole peak; each case runs in a fresh process.\n\n"
        + table
        + "\n\n"
        + verdict,
    )


if __name__ == "__main__":  # one case in a fresh process, for a clean peak-memory reading
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", nargs=3, metavar=("DATABASE", "URL", "SEATS"), required=True)
    _, url, seats = parser.parse_args().case
    print(json.dumps(asyncio.run(_one_case(url, int(seats)))))
