"""The tenant."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from voelgoedevents.adapters.database.base import Base, Identified, Timestamped, enum_column


class OrganizationStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Organization(Identified, Timestamped, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    status: Mapped[OrganizationStatus] = mapped_column(
        enum_column(OrganizationStatus, "status"), default=OrganizationStatus.ACTIVE
    )
    # Seating policy of the organisation: hold time, seats per booking (validated in the domain).
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
