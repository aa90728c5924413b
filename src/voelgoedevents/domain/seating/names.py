"""Shared field shapes of the layout documents."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from voelgoedevents.domain.fields import PLAIN

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PLAIN]
