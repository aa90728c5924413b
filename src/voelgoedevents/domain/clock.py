"""Time is passed in, never read by the domain: tests step it, production reads the system."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

Clock = Callable[[], datetime]
