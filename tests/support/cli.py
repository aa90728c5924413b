"""The `voelgoed` command in tests: in process (Typer's CliRunner) or as a real subprocess, on
real databases; and what every refusal must look like: one line on stderr, a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from voelgoedevents.entrypoints.cli.main import app

from support.factories import small_document

Invoke = Callable[..., Result]
RUN = "from voelgoedevents.entrypoints.cli.main import run; run()"


def invoker() -> Invoke:
    """Run the CLI in this process with the environment as the test has set it. Exceptions the
    CLI does not turn into one line propagate, so a traceback fails the test loudly."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def run_voelgoed(
    *arguments: str, env: Mapping[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The real command in its own process (for what must not block the test: serve, demo)."""
    return subprocess.run(
        [sys.executable, "-c", RUN, *arguments],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_line_error(
    stderr: str, exit_code: int, *expected: str, code: int | None = None
) -> str:
    """Exactly one non-empty line on stderr, starting ``error:``, no traceback, a non-zero exit
    (``code`` when given), and each of ``expected`` in the line. Returns the line."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("error: "), line
    assert "Traceback" not in stderr
    assert exit_code != 0
    if code is not None:
        assert exit_code == code, (exit_code, line)
    for part in expected:
        assert part in line, (part, line)
    return line


def seated_event(invoke: Invoke, tmp_path: Path, slug: str = "demo") -> dict[str, Any]:
    """An organisation, a venue, an active 12-seat layout and a draft event, through the CLI;
    the ids of each."""
    assert invoke("org", "create", "Demo Events", "--slug", slug).exit_code == 0
    venue = json.loads(invoke("venue", "create", "Hall", "--org", slug, "--json").stdout)
    document = tmp_path / "hall.json"
    document.write_text(json.dumps(small_document()))
    layout = json.loads(
        invoke(
            "layout",
            "import",
            str(document),
            "--org",
            slug,
            "--venue",
            venue["id"],
            "--activate",
            "--json",
        ).stdout
    )
    event = json.loads(
        invoke(
            "event",
            "create",
            "Gala",
            "--org",
            slug,
            "--venue",
            venue["id"],
            "--layout",
            layout["id"],
            "--start",
            "2031-05-01T19:00+02:00",
            "--end",
            "2031-05-01T22:00+02:00",
            "--json",
        ).stdout
    )
    return {"org": slug, "venue": venue["id"], "layout": layout["id"], "event": event["id"]}
