"""The layers import downwards only (``docs/architecture.md``), checked on the source itself.

domain <- adapters <- workflows <- entrypoints, and ``bootstrap.py`` (the composition root) on
top: it builds what the workflows are given (``workflows/services.py``), so nothing below the
entrypoints imports it. Every import counts, wherever it is written (inside a function, under
``TYPE_CHECKING``): each is a dependency a reader must follow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import voelgoedevents

PACKAGE = "voelgoedevents"
ROOT = Path(voelgoedevents.__file__).parent

# layer -> the parts of the package it must not import
FORBIDDEN: dict[str, set[str]] = {
    "domain": {"adapters", "workflows", "entrypoints", "bootstrap"},
    "adapters": {"workflows", "entrypoints", "bootstrap"},
    "workflows": {"entrypoints", "bootstrap"},
}
# The domain is rules without I/O: no database, cache, web or CLI library.
IO_LIBRARIES = {
    "aiosqlite",
    "alembic",
    "asyncpg",
    "fastapi",
    "httpx",
    "redis",
    "sqlalchemy",
    "starlette",
    "typer",
    "uvicorn",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in the file."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target == PACKAGE:  # ``from voelgoedevents import bootstrap``: the names count
                yield from ((node.lineno, f"{target}.{alias.name}") for alias in node.names)
            else:
                yield node.lineno, target


def modules() -> list[Path]:
    return sorted(path for path in ROOT.rglob("*.py") if "migrations" not in path.parts)


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == PACKAGE else None


def test_the_layers_import_downwards_only() -> None:
    violations = []
    for path in modules():
        own = layer(module_name(path))
        forbidden = FORBIDDEN.get(own or "", set())
        for line, target in imports(path):
            if layer(target) in forbidden:
                violations.append(f"{path.relative_to(ROOT.parent)}:{line} imports {target}")
    assert violations == [], "\n".join(violations)


def test_the_domain_uses_no_io_library() -> None:
    violations = [
        f"{path.relative_to(ROOT.parent)}:{line} imports {target}"
        for path in modules()
        if layer(module_name(path)) == "domain"
        for line, target in imports(path)
        if target.split(".")[0] in IO_LIBRARIES
    ]
    assert violations == [], "\n".join(violations)


def test_the_check_sees_every_layer_and_their_imports() -> None:
    """Guards the guard: a scan that found no modules or no imports would pass vacuously."""
    found = {layer(module_name(path)) for path in modules()}
    assert {"domain", "adapters", "workflows", "entrypoints", "bootstrap"} <= found
    reserve = ROOT / "workflows" / "ticketing" / "reserve_seat.py"
    targets = {target for _, target in imports(reserve)}
    assert "voelgoedevents.adapters.cache.port" in targets
    assert "voelgoedevents.workflows.services" in targets
