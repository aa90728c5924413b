"""The JSON Schema in docs/ is the one the validator enforces (regenerate it when this fails:
`voelgoed layout schema -o docs/layout-document.schema.json`)."""

from __future__ import annotations

import json
from pathlib import Path

from voelgoedevents.domain.seating.layout import layout_document_schema

PUBLISHED = Path(__file__).resolve().parents[2] / "docs" / "layout-document.schema.json"


def test_the_published_schema_matches_the_model() -> None:
    assert json.loads(PUBLISHED.read_text()) == layout_document_schema()
