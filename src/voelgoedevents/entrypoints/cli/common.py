"""What every command shares: building services, running one workflow, and the one place where
what goes wrong becomes one line.

Every command runs under :class:`OneLineErrors`, the root command's group: a domain error, a bad
setting, an unreachable database, an unknown migration revision, a file that cannot be written
prints ``error: ...`` and exits non-zero (codes in :mod:`.output`). Anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from alembic.util import CommandError
from pydantic import BaseModel, ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rich.markup import escape
from sqlalchemy.exc import DBAPIError
from typer.core import TyperGroup

from voelgoedevents.bootstrap import build_services
from voelgoedevents.domain.errors import DomainError, InvalidDocument
from voelgoedevents.entrypoints.cli.database import reason, require_current_schema
from voelgoedevents.entrypoints.cli.output import EXIT_REFUSED, EXIT_SETUP, errors, fail
from voelgoedevents.settings import SettingsError, load_settings
from voelgoedevents.workflows.services import Services
from voelgoedevents.workflows.tenancy import find_organization

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
Model = TypeVar("Model", bound=BaseModel)


class OneLineErrors(TyperGroup):
    """The root command: every subcommand runs inside its ``invoke``. Typer's own exits and
    usage errors are none of :func:`explain`'s and pass through untouched."""

    def invoke(self, ctx: Any) -> Any:  # typer.Context (typer >= 0.25 vendors its own click)
        try:
            return super().invoke(ctx)
        except Exception as exc:
            explained = explain(exc)
            if explained is None:
                raise
            raise fail(*explained) from None


def explain(exc: Exception) -> tuple[str, int] | None:
    """The line and exit code for an error a user can act on; None for a bug."""
    if isinstance(exc, SettingsError):
        return str(exc), EXIT_SETUP
    if isinstance(exc, InvalidDocument):
        for problem in exc.problems:
            errors.print(f"  {escape(str(problem))}", highlight=False, soft_wrap=True)
        return f"{exc.code}: {len(exc.problems)} problem(s) in the document", EXIT_REFUSED
    if isinstance(exc, DomainError):
        return f"{exc.code}: {exc.message}", EXIT_REFUSED
    if isinstance(exc, CommandError):  # Alembic: an unknown revision, say
        return str(exc).strip().splitlines()[0], EXIT_REFUSED
    if isinstance(exc, DBAPIError):
        return f"the database refused: {reason(exc)}", EXIT_REFUSED
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return f"cannot reach Redis (VOELGOED_REDIS_URL): {exc}", EXIT_SETUP
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror}", EXIT_REFUSED
    return None


def run_workflow(work: Callable[[Services], Awaitable[T]]) -> T:
    """Build the services, check the database is reachable and migrated, run ``work``, close."""

    async def main() -> T:
        services = build_services(load_settings())
        try:
            await require_current_schema(services.engine)
            return await work(services)
        finally:
            await services.aclose()

    return asyncio.run(main())


class Page(Protocol[T_co]):
    @property
    def items(self) -> Sequence[T_co]: ...

    @property
    def next_cursor(self) -> str | None: ...


async def every_page(fetch: Callable[[str | None], Awaitable[Page[T]]]) -> list[T]:
    """All the items of a paged list: an operator asking for a list wants all of it."""
    items: list[T] = []
    cursor: str | None = None
    while True:
        page = await fetch(cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


async def organization_id(services: Services, reference: str) -> uuid.UUID:
    return (await find_organization(services, reference)).id


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise fail(f"{what} must be an id (a UUID), got {value!r}") from None


def valid(model: type[Model], **values: object) -> Model:
    """Validate command-line values with the same model the API uses; one line on failure."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise fail(f"invalid {field or 'input'}: {first['msg']}") from None
