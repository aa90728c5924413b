"""What every command shares: building services, running one workflow, printing errors.

A domain error or a bad setting prints one clear line and exits non-zero; never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape

from voelgoedevents.bootstrap import Services, build_services
from voelgoedevents.domain.errors import DomainError, InvalidDocument
from voelgoedevents.settings import SettingsError, load_settings
from voelgoedevents.workflows.tenancy import find_organization

T = TypeVar("T")
Model = TypeVar("Model", bound=BaseModel)

console = Console()
errors = Console(stderr=True)

EXIT_DOMAIN_ERROR = 1
EXIT_CONFIGURATION = 2


def fail(message: str, code: int = EXIT_DOMAIN_ERROR) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def run_workflow(work: Callable[[Services], Awaitable[T]]) -> T:
    """Build the services, run ``work`` on them, close them."""

    async def main() -> T:
        services = build_services(load_settings())
        try:
            return await work(services)
        finally:
            await services.aclose()

    try:
        return asyncio.run(main())
    except SettingsError as exc:
        raise fail(str(exc), EXIT_CONFIGURATION) from None
    except InvalidDocument as exc:
        for problem in exc.problems:
            errors.print(f"  {escape(str(problem))}", highlight=False, soft_wrap=True)
        raise fail(f"{exc.code}: {len(exc.problems)} problem(s) in the document") from None
    except DomainError as exc:
        raise fail(f"{exc.code}: {exc.message}") from None


async def organization_id(services: Services, reference: str) -> uuid.UUID:
    return (await find_organization(services, reference)).id


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise fail(f"{what} must be an id (a UUID), got {value!r}") from None


def print_json(value: Any) -> None:
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    sys.stdout.write(json.dumps(value, default=_json_default, indent=2) + "\n")


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return str(value)  # UUID, Decimal


def valid(model: type[Model], **values: object) -> Model:
    """Validate command-line values with the same model the API uses; one line on failure."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise fail(f"invalid {field or 'input'}: {first['msg']}") from None
