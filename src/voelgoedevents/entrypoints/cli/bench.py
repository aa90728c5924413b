"""`voelgoed bench`: run a benchmark from the source tree's benchmarks/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer

from voelgoedevents.entrypoints.cli.output import EXIT_SETUP, fail

ROOT = Path(__file__).resolve().parents[4]

# Run in the interpreter that will run the benchmarks: a module they import that is missing
# (httpx is a dev extra) is named here, before anything starts, instead of in a traceback.
PREFLIGHT = """
import importlib, sys
try:
    importlib.import_module("benchmarks.__main__")
except ModuleNotFoundError as exc:
    sys.exit(f"missing module: {exc.name}")
"""


def bench(
    name: str = typer.Argument(..., help="layouts, holds, http or all"),
    extra: list[str] | None = typer.Argument(None, help="Options passed to the benchmark."),
) -> None:
    """Run a benchmark from the source tree's benchmarks/ (writes docs/benchmarks.md). Needs a
    checkout and the dev extras (pip install -e '.[dev]')."""
    if not (ROOT / "benchmarks" / "__main__.py").exists():
        raise fail("the benchmarks live in the source tree: run this from a checkout", EXIT_SETUP)
    checked = subprocess.run(
        [sys.executable, "-c", PREFLIGHT], cwd=ROOT, capture_output=True, text=True
    )
    if checked.returncode != 0:
        said = (checked.stderr.strip().splitlines() or ["(nothing)"])[-1]
        raise fail(
            f"the benchmarks need the dev extras ({said}): pip install -e '.[dev]'", EXIT_SETUP
        )
    command = [sys.executable, "-m", "benchmarks", name, *(extra or [])]
    raise typer.Exit(subprocess.call(command, cwd=ROOT))
