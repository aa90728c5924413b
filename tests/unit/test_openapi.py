"""docs/openapi.json is the API the code serves.

Regenerate it with `voelgoed openapi -o docs/openapi.json`.
"""

from __future__ import annotations

import json
from pathlib import Path

from voelgoedevents.entrypoints.api.app import create_app
from voelgoedevents.settings import load_settings

PUBLISHED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_checked_in_openapi_document_is_current() -> None:
    assert json.loads(PUBLISHED.read_text()) == create_app(load_settings()).openapi()


def test_each_operation_documents_the_problems_it_can_answer() -> None:
    """Per operation, not one list for all: no key, no 401/403/429; no input and no write, no
    422; 404 where an id is looked up; 409 on writes; 405 nowhere (it answers a method that no
    documented operation has). tests/api/test_access.py checks 401 and 403 against answers."""
    spec = create_app(load_settings()).openapi()
    assert "LayoutDocument" in spec["components"]["schemas"]
    health, metrics = spec["paths"]["/health"]["get"], spec["paths"]["/metrics"]["get"]
    assert set(health["responses"]) == {"200", "413", "503"}
    assert "Health" in health["responses"]["503"]["content"]["application/json"]["schema"]["$ref"]
    assert set(metrics["responses"]) == {"200", "413"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            answers = set(operation["responses"])
            keyed = bool(operation.get("security"))
            looks_up = "{" in path or (method, path) == ("post", "/events")
            has_input = bool(operation.get("parameters") or operation.get("requestBody"))
            where = (method, path)
            assert {"401", "429", "503"} <= answers if keyed else not {"401", "429"} & answers
            assert ("403" in answers) == (
                keyed and where != ("get", "/organizations/{organization_id}")
            )
            assert ("404" in answers) == looks_up, where
            assert ("409" in answers) == (method != "get"), where
            assert ("422" in answers) == (has_input or method != "get"), where
            assert "413" in answers and "405" not in answers, where
            for status, answer in operation["responses"].items():
                if status >= "400" and (path, status) != ("/health", "503"):
                    assert list(answer["content"]) == ["application/problem+json"], where


def test_every_list_parameter_is_described_with_its_default() -> None:
    """`GET /events/{id}/holds` filtered `active=true` without saying so: every query parameter
    of every operation says what it does, and those with a default name it."""
    spec = create_app(load_settings()).openapi()
    lists = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
            for parameter in query:
                where = (method, path, parameter["name"])
                assert len(parameter.get("description", "")) > 20, where
            names = {p["name"]: p for p in query}
            if "cursor" in names:  # a list
                lists += 1
                assert names["limit"]["schema"]["default"] in (50, 1_000), (method, path)
                assert "null" in str(names["cursor"]["schema"]), (method, path)
    assert lists == 12
    holds = spec["paths"]["/events/{event_id}/holds"]["get"]["parameters"]
    active = next(p for p in holds if p["name"] == "active")
    assert active["schema"]["default"] is True
    assert "`false`" in active["schema"]["description"]
