"""Shared by the benchmarks: a scratch database, machine facts, the results file."""

from __future__ import annotations

import asyncio
import os
import platform
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from voelgoedevents.adapters.database.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmarks.md"
POSTGRES_ADMIN_URL = os.environ.get(
    "VOELGOED_BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("VOELGOED_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


@asynccontextmanager
async def scratch_postgres() -> AsyncIterator[str]:
    """A migrated database of its own, dropped afterwards."""
    name = f"voelgoed_bench_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}; Python {platform.python_version()}; "
        f"PostgreSQL {_server_version(['psql', '--version'])}; "
        f"Redis {_server_version(['redis-server', '--version'])}"
    )


def _server_version(command: Sequence[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    match = re.search(r"(\d+\.\d+(?:\.\d+)?)", out)
    return match.group(1) if match else "unknown"


def percentile(values: Sequence[float], share: float, *, empty: float = 0.0) -> float:
    """The value below which ``share`` of ``values`` lie (nearest rank); ``empty`` for none."""
    if not values:
        return empty
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def record(name: str, title: str, body: str) -> None:
    """Replace this benchmark's section of docs/benchmarks.md, keeping the others."""
    command = "python -m benchmarks " + " ".join(sys.argv[1:])
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"<!-- bench:{name} -->\n## {title}\n\n"
        f"Command: `{command.strip()}`  \nMachine: {machine()}  \nRun: {stamp}\n\n"
        f"{body.strip()}\n<!-- /bench:{name} -->"
    )
    text = RESULTS.read_text() if RESULTS.exists() else _HEADER
    pattern = re.compile(rf"<!-- bench:{name} -->.*?<!-- /bench:{name} -->", re.S)
    text = (
        pattern.sub(lambda _: section, text)
        if pattern.search(text)
        else (text.rstrip() + "\n\n" + section + "\n")
    )
    RESULTS.write_text(text)


_HEADER = """# Benchmarks

Every table below was written by the command shown above it, on the machine named there. This
machine is shared and noisy: compare the columns of one table (measured side by side in one
run), not numbers across runs. Regenerate with `python -m benchmarks all`.
"""
