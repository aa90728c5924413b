"""How every command speaks.

- Records and lists print as tables for people, or as JSON with ``--json`` for scripts. A table
  never cuts a value: on a terminal long values fold onto the next line; into a pipe the table
  is as wide as its widest row, so an id can be copied or grepped whole.
- Documents (a layout, a schema, the OpenAPI contract) print as JSON, or go to ``-o FILE``.
- A refusal prints one line, ``error: ...``, on stderr and exits non-zero (the codes below).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

console = Console()
errors = Console(stderr=True)

EXIT_REFUSED = 1
"""A rule refused the command (bad input, not found, a conflict), or a check found a problem."""
EXIT_SETUP = 2
"""The environment is not ready: a bad setting, a database that cannot be reached or is not
migrated, no cache configured, a port taken. (Click uses 2 for a mistyped command line too.)"""

EXIT_CODES = (
    "Exit codes: 0 done; 1 refused (not found, invalid, conflict) or a problem found; "
    "2 not set up (a bad setting, no database or schema, no cache configured)."
)

JSON = typer.Option(False, "--json", help="Print JSON (for scripts) instead of a table.")


def fail(message: str, code: int = EXIT_REFUSED) -> typer.Exit:
    """Print ``message`` as the command's one error line; raise what this returns."""
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _writable(path: Path | None) -> Path | None:
    """Refuse an output file before any work is done, not with a traceback after it."""
    if path is not None and not path.parent.is_dir():
        raise fail(f"cannot write {path}: the folder {path.parent} does not exist")
    return path


OUTPUT = typer.Option(
    None, "--output", "-o", help="Write to this file (default: stdout).", callback=_writable
)


def write_output(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text)


def print_json(value: Any) -> None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    sys.stdout.write(json.dumps(value, default=_json_default, indent=2) + "\n")


def _json_default(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return str(value)  # UUID, Decimal


def show(record: Any, as_json: bool, *, extra: dict[str, object] | None = None) -> None:
    """One record (a view): its fields as a two-column table, or as JSON."""
    if as_json:
        print_json(record)
        return
    table = Table("field", "value", show_header=False)
    for name, value in {**_fields(record), **(extra or {})}.items():
        table.add_row(name, cell(value))
    print_table(table)


def show_rows(rows: Iterable[Any], columns: Sequence[tuple[str, str]], as_json: bool) -> None:
    """Records as a table of ``columns`` (heading, field), or every field of each as JSON."""
    rows = list(rows)
    if as_json:
        print_json([_fields(row) for row in rows])
        return
    table = Table(*(heading for heading, _ in columns))
    for row in rows:
        values = _fields(row)
        table.add_row(*(cell(values[field]) for _, field in columns))
    print_table(table)


def print_table(table: Table) -> None:
    if console.is_terminal:
        for column in table.columns:
            column.overflow = "fold"
        console.print(table)
        return
    natural = Measurement.get(console, console.options.update(max_width=1_000_000), table)
    Console(width=max(natural.maximum, 20), highlight=False).print(table)


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return escape(json.dumps(value, default=_json_default)) if value else ""
    return escape(str(value))


def _fields(record: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {field.name: getattr(record, field.name) for field in dataclasses.fields(record)}
    return dict(record)  # a mapping, or a pydantic model (its fields)
