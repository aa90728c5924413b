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


def test_every_operation_documents_its_problems() -> None:
    spec = create_app(load_settings()).openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert "422" in operation["responses"], (method, path)
            assert "LayoutDocument" in spec["components"]["schemas"]
