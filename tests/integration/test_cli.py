"""The `voelgoed` command on the embedded default (a SQLite file, no Redis)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from voelgoedevents.entrypoints.cli.main import app

from support.factories import small_document


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VOELGOED_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("VOELGOED_REDIS_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    assert invoke("db", "upgrade").exit_code == 0
    return invoke


def test_organisation_venue_layout_round_trip(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("org", "create", "Demo Events", "--slug", "demo").exit_code == 0
    venue = json.loads(cli("venue", "create", "Hall", "--org", "demo", "--json").stdout)
    document = tmp_path / "hall.json"
    document.write_text(json.dumps(small_document()))
    imported = cli(
        "layout",
        "import",
        str(document),
        "--org",
        "demo",
        "--venue",
        venue["id"],
        "--activate",
        "--json",
    )
    assert imported.exit_code == 0, imported.stderr
    layout = json.loads(imported.stdout)
    assert (layout["status"], layout["seat_count"]) == ("active", 12)
    exported = cli("layout", "export", layout["id"], "--org", "demo")
    assert json.loads(exported.stdout)["total_capacity"] == 62


def test_generate_writes_an_importable_document(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "arena.json"
    assert cli("layout", "generate", "arena", "--seats", "300", "-o", str(out)).exit_code == 0
    cli("org", "create", "A", "--slug", "a")
    venue = json.loads(cli("venue", "create", "Arena", "--org", "a", "--json").stdout)
    result = cli("layout", "import", str(out), "--org", "a", "--venue", venue["id"], "--json")
    assert json.loads(result.stdout)["seat_count"] == 300


def test_errors_are_one_clear_line_and_a_non_zero_exit(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("org", "create", "Demo", "--slug", "demo").exit_code == 0
    duplicate = cli("org", "create", "Demo", "--slug", "demo")
    assert duplicate.exit_code == 1
    assert (
        duplicate.stderr.strip()
        == "error: conflict: an organisation with slug 'demo' already exists"
    )
    bad_slug = cli("org", "create", "X", "--slug", "Not A Slug")
    assert bad_slug.exit_code == 1
    assert "invalid slug" in bad_slug.stderr and "[a-z0-9]" in bad_slug.stderr
    missing = cli("venue", "create", "Hall", "--org", "nobody")
    assert missing.stderr.strip() == "error: not_found: organisation 'nobody' not found"
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "total_capacity": 1, "sections": [{"name": "s"}]}')
    venue = json.loads(cli("venue", "create", "Hall", "--org", "demo", "--json").stdout)
    rejected = cli("layout", "import", str(bad), "--org", "demo", "--venue", venue["id"])
    assert rejected.exit_code == 1
    assert "sections[0].type: Field required" in rejected.stderr
    assert "sections[0].capacity: Field required" in rejected.stderr
    for result in (duplicate, bad_slug, missing, rejected):
        assert "Traceback" not in result.output


def test_a_bad_setting_exits_2_naming_the_variable(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VOELGOED_HOLD_DEFAULT_SECONDS", "5")
    result = cli("org", "list")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: invalid configuration: VOELGOED_HOLD_DEFAULT_SECONDS")


def test_check_event_and_cache_commands_without_redis(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("org", "create", "Demo", "--slug", "demo")
    venue = json.loads(cli("venue", "create", "Hall", "--org", "demo", "--json").stdout)
    document = tmp_path / "hall.json"
    document.write_text(json.dumps(small_document()))
    layout = json.loads(
        cli(
            "layout",
            "import",
            str(document),
            "--org",
            "demo",
            "--venue",
            venue["id"],
            "--activate",
            "--json",
        ).stdout
    )
    event = json.loads(
        cli(
            "event",
            "create",
            "Gala",
            "--org",
            "demo",
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
    checked = cli("check", "event", event["id"], "--org", "demo", "--json")
    assert checked.exit_code == 0 and json.loads(checked.stdout)["ok"] is True
    refused = cli("cache", "verify", event["id"], "--org", "demo")
    assert refused.exit_code == 2  # not set up; 1 is drift (issue 7)
    assert "no Redis configured" in refused.stderr and "no cache configured" in refused.stderr
    other = cli("check", "event", event["id"], "--org", "nobody")
    assert other.exit_code == 1 and "not found" in other.stderr


async def test_cache_rebuild_and_verify_with_redis(
    pg_services, postgres_url: str, redis_namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from support.factories import on_sale_scenario
    from support.servers import REDIS_URL

    scenario = await on_sale_scenario(pg_services)
    monkeypatch.setenv("VOELGOED_DATABASE_URL", postgres_url)
    monkeypatch.setenv("VOELGOED_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("VOELGOED_REDIS_NAMESPACE", redis_namespace)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    event, org = str(scenario.event.id), str(scenario.org_id)
    cold = await asyncio.to_thread(invoke, "cache", "verify", event, "--org", org)
    assert cold.exit_code == 0 and "False" in cold.stdout  # nothing loaded yet: no drift
    assert (await asyncio.to_thread(invoke, "cache", "rebuild", event, "--org", org)).exit_code == 0
    verified = await asyncio.to_thread(invoke, "cache", "verify", event, "--org", org)
    assert verified.exit_code == 0, verified.stdout
    assert "True" in verified.stdout  # loaded
