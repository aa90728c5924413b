"""The shape the code keeps: seat state changes only through the ledger, and the ticketing
workflows only orchestrate (load, ask the domain, call the ledger, commit).

Read from the source, so a new shortcut fails here before it is ever run
(``tests/integration/test_single_writer.py`` watches the statements themselves).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "voelgoedevents"
LEDGER = SRC / "adapters" / "database" / "ledger"
# The use cases that change inventory, and the event lifecycle (a cancel frees holds).
ORCHESTRATION = [
    *sorted((SRC / "workflows" / "ticketing").glob("*.py")),
    SRC / "workflows" / "events" / "event_status.py",
]
INVENTORY_TABLES = {"EventSeat", "EventStandingArea", "SeatStateChange", "SeatHold", "Order"}
OWNED_FIELDS = {
    "status",
    "version",
    "held_until",
    "quantity",
    "seat_count",
    "order_id",
    "cancellation_reason",
    "extension_count",
}


def _modules(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*.py") if "migrations" not in path.parts)


def _name(path: Path) -> str:
    return str(path.relative_to(SRC))


def _outside_ledger(path: Path) -> bool:
    return LEDGER not in path.parents


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


@pytest.mark.parametrize("path", ORCHESTRATION, ids=_name)
def test_workflows_that_touch_inventory_write_no_sql(path: Path) -> None:
    """No SQLAlchemy, no raw session, no audit rows, no cache changes of their own."""
    tree = _tree(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [module or "", *(alias.name for alias in node.names)]
            assert not any(name.split(".")[0] == "sqlalchemy" for name in names), _name(path)
            assert not (module or "").endswith("ledger.audit"), _name(path)
        if isinstance(node, ast.Attribute) and node.attr == "session":
            pytest.fail(f"{_name(path)}:{node.lineno} uses the unit of work's raw session")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"SeatChange", "StandingChange", "HoldEntry"}, (
                f"{_name(path)}:{node.lineno} builds a cache change: the ledger records them"
            )


@pytest.mark.parametrize("path", _modules(SRC / "workflows"), ids=_name)
def test_no_workflow_sets_a_holds_or_an_orders_own_fields(path: Path) -> None:
    """A hold's or an order's status (and what goes with it) is the ledger's to change."""
    for node in ast.walk(_tree(path)):
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AugAssign):
            targets = [node.target]
        for target in targets:
            for part in target.elts if isinstance(target, ast.Tuple) else [target]:
                if (
                    isinstance(part, ast.Attribute)
                    and isinstance(part.value, ast.Name)
                    and part.value.id in {"hold", "order"}
                    and part.attr in OWNED_FIELDS
                ):
                    pytest.fail(f"{_name(path)}:{node.lineno} sets {part.value.id}.{part.attr}")


def test_only_the_ledger_writes_the_inventory_tables() -> None:
    """Outside the ledger, no INSERT, UPDATE or DELETE names a table of seat state, standing
    places, the audit trail, holds or orders (by its class, or by a ``table_of`` alias of it),
    and nobody creates a hold or an order row."""
    offenders = []
    for path in filter(_outside_ledger, _modules(SRC)):
        if path.parent.name == "tables":
            continue
        tree = _tree(path)
        aliases = set(INVENTORY_TABLES)
        for node in ast.walk(tree):  # _SEATS = table_of(EventSeat)
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and any(
                    isinstance(arg, ast.Name) and arg.id in INVENTORY_TABLES
                    for arg in node.value.args
                )
            ):
                aliases |= {target.id for target in node.targets if isinstance(target, ast.Name)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            verb = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            written = [arg.id for arg in node.args[:1] if isinstance(arg, ast.Name)]
            if verb in {"insert", "update", "delete"} and set(written) & aliases:
                offenders.append(f"{_name(path)}:{node.lineno} {verb}({written[0]})")
            if verb in {"SeatHold", "Order"}:
                offenders.append(f"{_name(path)}:{node.lineno} creates a {verb}")
    assert offenders == []


def test_the_audit_trail_has_one_writer() -> None:
    callers = [
        f"{_name(path)}"
        for path in filter(_outside_ledger, _modules(SRC))
        if "audit.record(" in path.read_text() or "audit.Change(" in path.read_text()
    ]
    assert callers == []
