"""What a new user trips over prints one line and exits non-zero: never a traceback.

Each case runs the real command (in process with CliRunner, or as a subprocess where the command
would otherwise start a server) against real PostgreSQL and SQLite.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from support.cli import assert_one_line_error, invoker, run_voelgoed, seated_event
from support.servers import POSTGRES_ADMIN_URL, admin_sql, database_url, free_port, in_thread

UPGRADE = "run `voelgoed db upgrade`"


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite file that does not exist yet, and no Redis."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'v.db'}"
    monkeypatch.setenv("VOELGOED_DATABASE_URL", url)
    monkeypatch.delenv("VOELGOED_REDIS_URL", raising=False)
    return url


@pytest.fixture
def empty_postgres(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A PostgreSQL database that exists and has no tables (nobody ran the migrations)."""
    name = f"voelgoed_empty_{uuid.uuid4().hex[:10]}"
    in_thread(lambda: asyncio.run(admin_sql(f'CREATE DATABASE "{name}"')))
    url = database_url(POSTGRES_ADMIN_URL, name)
    monkeypatch.setenv("VOELGOED_DATABASE_URL", url)
    monkeypatch.delenv("VOELGOED_REDIS_URL", raising=False)
    try:
        yield url
    finally:
        in_thread(lambda: asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


def test_a_missing_sqlite_file_is_not_created_and_says_db_upgrade(
    sqlite_url: str, tmp_path: Path
) -> None:
    result = invoker()("org", "list")
    assert_one_line_error(result.stderr, result.exit_code, UPGRADE, "v.db", code=2)
    assert not (tmp_path / "v.db").exists()


def test_an_empty_sqlite_file_says_db_upgrade(sqlite_url: str, tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "v.db").close()
    result = invoker()("venue", "list", "--org", "demo")
    assert_one_line_error(result.stderr, result.exit_code, "no tables", UPGRADE, code=2)


def test_an_empty_postgresql_database_says_db_upgrade(empty_postgres: str) -> None:
    invoke = invoker()
    for command in (("org", "list"), ("org", "create", "Demo", "--slug", "demo")):
        result = invoke(*command)
        assert_one_line_error(result.stderr, result.exit_code, "no tables", UPGRADE, code=2)


def test_a_database_behind_the_code_names_both_revisions(sqlite_url: str) -> None:
    invoke = invoker()
    assert invoke("db", "upgrade").exit_code == 0
    assert invoke("db", "downgrade", "--", "-1").exit_code == 0
    result = invoke("org", "list")
    assert_one_line_error(result.stderr, result.exit_code, "revision", UPGRADE, code=2)


def test_serve_and_worker_refuse_an_unmigrated_database(tmp_path: Path) -> None:
    """Before, `serve` answered /health 200 while its sweeper failed every second."""
    sqlite3.connect(tmp_path / "v.db").close()
    env = {"VOELGOED_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'v.db'}"}
    for command in (("serve", "--port", str(free_port())), ("worker",)):
        finished = run_voelgoed(*command, env=env, cwd=tmp_path)
        assert_one_line_error(finished.stderr, finished.returncode, UPGRADE, code=2)
        assert finished.stdout == ""


def test_a_postgresql_role_that_does_not_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    role = f"voelgoed_nobody_{uuid.uuid4().hex[:8]}"
    url = make_url(database_url(POSTGRES_ADMIN_URL, "test")).set(username=role)
    monkeypatch.setenv("VOELGOED_DATABASE_URL", url.render_as_string(hide_password=False))
    for command in (("org", "list"), ("db", "upgrade"), ("db", "current")):
        result = invoker()(*command)
        assert_one_line_error(
            result.stderr,
            result.exit_code,
            "cannot connect",
            f'role "{role}" does not exist',
            code=2,
        )


def test_a_postgresql_database_that_does_not_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"voelgoed_missing_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("VOELGOED_DATABASE_URL", database_url(POSTGRES_ADMIN_URL, name))
    for command in (("org", "list"), ("db", "upgrade")):
        result = invoker()(*command)
        assert_one_line_error(
            result.stderr, result.exit_code, f'database "{name}" does not exist', code=2
        )


def test_a_sqlite_file_in_a_missing_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "no" / "such"
    monkeypatch.setenv("VOELGOED_DATABASE_URL", f"sqlite+aiosqlite:///{folder / 'v.db'}")
    for command in (("org", "list"), ("db", "upgrade"), ("db", "current")):
        result = invoker()(*command)
        assert_one_line_error(
            result.stderr, result.exit_code, "folder", str(folder), "does not exist", code=2
        )
    assert not (tmp_path / "no").exists()


def test_output_into_a_missing_folder(sqlite_url: str, tmp_path: Path) -> None:
    invoke = invoker()
    assert invoke("db", "upgrade").exit_code == 0
    ids = seated_event(invoke, tmp_path)
    target = tmp_path / "missing" / "out.json"
    for command in (
        ("layout", "generate", "theatre", "--seats", "20", "-o", str(target)),
        ("layout", "export", ids["layout"], "--org", "demo", "-o", str(target)),
        ("layout", "schema", "-o", str(target)),
        ("openapi", "-o", str(target)),
    ):
        result = invoke(*command)
        assert_one_line_error(
            result.stderr, result.exit_code, "cannot write", str(target.parent), code=1
        )
        assert result.stdout == ""
    assert not target.parent.exists()


def test_db_upgrade_to_an_unknown_revision(sqlite_url: str) -> None:
    invoke = invoker()
    for command in (("db", "upgrade", "zzz"), ("db", "downgrade", "zzz")):
        result = invoke(*command)
        assert_one_line_error(result.stderr, result.exit_code, "'zzz'", "revision", code=1)


def test_bench_without_the_dev_extras(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmarks import httpx, a dev extra; here it is absent from the interpreter that
    runs them (a site hook blocks it, as an install without `[dev]` would lack it)."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['httpx'] = None\n")
    monkeypatch.setenv("PYTHONPATH", str(blocker))
    result = invoker()("bench", "layouts")
    assert_one_line_error(
        result.stderr, result.exit_code, "httpx", "pip install -e '.[dev]'", code=2
    )


def test_demo_with_its_port_taken_creates_nothing_and_says_port(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other_server:
        other_server.bind(("127.0.0.1", 0))
        other_server.listen()
        port = other_server.getsockname()[1]
        env = {"VOELGOED_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'v.db'}"}
        for command in ("demo", "serve"):
            finished = run_voelgoed(command, "--port", str(port), env=env, cwd=tmp_path)
            assert_one_line_error(finished.stderr, finished.returncode, str(port), "--port", code=2)
            assert "curl" not in finished.stdout
    assert not (tmp_path / "v.db").exists()


def test_a_typo_in_an_organisation_is_still_one_line(sqlite_url: str, tmp_path: Path) -> None:
    """The checks above run before every command; ordinary refusals keep their own line."""
    invoke = invoker()
    assert invoke("db", "upgrade").exit_code == 0
    ids = seated_event(invoke, tmp_path)
    result = invoke("event", "show", ids["event"], "--org", "nobody")
    assert_one_line_error(result.stderr, result.exit_code, "not_found", code=1)
    shown = json.loads(invoke("event", "show", ids["event"], "--org", "demo", "--json").stdout)
    assert shown["id"] == ids["event"]
