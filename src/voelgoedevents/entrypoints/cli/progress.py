"""A progress bar for the long commands, counting their steps to a known total.

The steps are the command's own calls (read the document, write the layout, activate it; load
the seat map, replay the history): each is one database transaction, so the bar moves when one
ends. It is drawn on stderr, only when stderr is a terminal, and erased when done: a pipe, a log
or a script reading ``--json`` sees nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from voelgoedevents.entrypoints.cli.output import errors

Step = Callable[[str], None]


def terminal() -> Console | None:
    """Where to draw: stderr if it is a terminal, else nowhere."""
    return errors if errors.is_terminal else None


@contextmanager
def steps(what: str, total: int) -> Iterator[Step]:
    """``with steps("importing", 3) as step: step("reading"); ...; step("writing"); ...``:
    each call finishes the step before it and names the next."""
    screen = terminal()
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=screen or errors,
        transient=True,
        disable=screen is None,
    )
    started = False
    with bar:
        task = bar.add_task(what, total=total)

        def step(description: str) -> None:
            nonlocal started
            if started:
                bar.advance(task)
            started = True
            bar.update(task, description=f"{what}: {description}")

        yield step
        bar.update(task, completed=total, description=what)
        bar.refresh()
