"""One output convention: tables for people, `--json` for scripts, ids never cut (CliRunner's
output is a pipe, not a terminal); lists for venues, layouts and events; `event show`; progress
bars on the long commands; `cache verify` without a cache."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from voelgoedevents.entrypoints.cli import progress

from support.cli import Invoke, assert_one_line_error, invoker, seated_event


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("VOELGOED_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("VOELGOED_REDIS_URL", raising=False)
    invoke = invoker()
    assert invoke("db", "upgrade").exit_code == 0
    return invoke


def test_key_create_prints_json_without_python_reprs(cli: Invoke, tmp_path: Path) -> None:
    seated_event(cli, tmp_path)
    created = cli("key", "create", "box office", "--org", "demo", "--role", "sales", "--json")
    assert created.exit_code == 0, created.stderr
    answer = json.loads(created.stdout)
    key: dict[str, Any] = answer["key"]
    assert (key["name"], key["role"], key["revoked_at"]) == ("box office", "sales", None)
    assert answer["token"].startswith("vg_") and key["prefix"] in answer["token"]
    assert "ApiKeyView(" not in created.stdout and "UUID(" not in created.stdout
    shown = cli("key", "create", "door", "--org", "demo")
    assert shown.exit_code == 0
    assert "vg_" in shown.stdout and "shown once" in shown.stdout
    assert "ApiKeyView(" not in shown.stdout


def test_lists_show_whole_ids_when_piped(cli: Invoke, tmp_path: Path) -> None:
    ids = seated_event(cli, tmp_path)
    created = cli("key", "create", "a key with a long name", "--org", "demo", "--json")
    key = json.loads(created.stdout)
    lists = {
        ("org", "list"): "slug",
        ("venue", "list", "--org", "demo"): ids["venue"],
        ("layout", "list", "--org", "demo"): ids["layout"],
        ("layout", "list", "--org", "demo", "--venue", ids["venue"]): ids["layout"],
        ("event", "list", "--org", "demo"): ids["event"],
        ("key", "list", "--org", "demo"): key["key"]["id"],
    }
    for command, expected in lists.items():
        table = cli(*command)
        assert table.exit_code == 0, (command, table.stderr)
        assert expected in table.stdout, (command, table.stdout)
        assert "…" not in table.stdout, (command, table.stdout)
        rows = json.loads(cli(*command, "--json").stdout)
        assert isinstance(rows, list) and len(rows) == 1, (command, rows)
    assert key["key"]["organization_id"] in cli("key", "list").stdout
    events = json.loads(cli("event", "list", "--org", "demo", "--json").stdout)
    assert (events[0]["id"], events[0]["status"]) == (ids["event"], "draft")


def test_lists_walk_every_page(cli: Invoke) -> None:
    assert cli("org", "create", "Demo", "--slug", "demo").exit_code == 0
    for number in range(205):  # more than one page of the listing workflow (200)
        assert cli("venue", "create", f"Hall {number}", "--org", "demo").exit_code == 0
    venues = json.loads(cli("venue", "list", "--org", "demo", "--json").stdout)
    assert [venue["name"] for venue in venues] == [f"Hall {number}" for number in range(205)]


def test_event_show(cli: Invoke, tmp_path: Path) -> None:
    ids = seated_event(cli, tmp_path)
    shown = cli("event", "show", ids["event"], "--org", "demo")
    assert shown.exit_code == 0, shown.stderr
    for expected in (ids["event"], ids["layout"], "Gala", "draft", "2031-05-01"):
        assert expected in shown.stdout
    as_json = json.loads(cli("event", "show", ids["event"], "--org", "demo", "--json").stdout)
    assert (as_json["id"], as_json["name"], as_json["capacity"]) == (ids["event"], "Gala", 62)
    cli("event", "publish", ids["event"], "--org", "demo")
    assert "published" in cli("event", "show", ids["event"], "--org", "demo").stdout
    bad = cli("event", "show", "not-an-id", "--org", "demo")
    assert_one_line_error(bad.stderr, bad.exit_code, "UUID", code=1)


def test_created_things_print_a_table_unless_json(cli: Invoke) -> None:
    made = cli("org", "create", "Demo Events", "--slug", "demo")
    assert made.exit_code == 0 and "Demo Events" in made.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(made.stdout)
    venue = json.loads(cli("venue", "create", "Hall", "--org", "demo", "--json").stdout)
    assert venue["name"] == "Hall"


def test_cache_verify_without_a_cache_is_not_drift(cli: Invoke, tmp_path: Path) -> None:
    ids = seated_event(cli, tmp_path)
    for command in ("verify", "rebuild"):
        result = cli("cache", command, ids["event"], "--org", "demo")
        assert_one_line_error(result.stderr, result.exit_code, "no cache configured", code=2)
    described = cli("cache", "verify", "--help").stdout
    assert "Exit codes" in described and "no cache configured" in described
    assert "drift" in described


def test_long_commands_show_a_progress_bar_with_a_total(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal: a bar that counts its steps to their total ("3/3"), not a spinner."""
    screen = io.StringIO()
    monkeypatch.setattr(
        progress, "terminal", lambda: Console(file=screen, force_terminal=True, width=120)
    )
    ids = seated_event(cli, tmp_path)
    drawn = screen.getvalue()
    assert "importing" in drawn and "3/3" in drawn  # read, check and write, activate
    assert "creating the event" in drawn and "2/2" in drawn
    assert "━" in drawn  # the bar
    assert not any(frame in drawn for frame in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")  # no spinner
    screen.truncate(0)
    checked = cli("check", "event", ids["event"], "--org", "demo")
    assert checked.exit_code == 0 and "ok" in checked.stdout
    assert "2/2" in screen.getvalue()
    assert json.loads(cli("check", "event", ids["event"], "--org", "demo", "--json").stdout)["ok"]
