"""API keys and the idempotency records of their writes."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from voelgoedevents.adapters.database.base import Base, Identified, enum_column, utcnow
from voelgoedevents.domain.access import Role


class ApiKey(Identified, Base):
    """A credential. Organisation keys act in their organisation only; platform keys
    (no organisation) manage organisations and keys."""

    __tablename__ = "api_keys"
    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'platform') = (organization_id IS NULL)", name="platform_keys_have_no_org"
        ),
    )

    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid, sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    prefix: Mapped[str] = mapped_column(sa.String(12), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class IdempotencyRecord(Base):
    """One write sent with an ``Idempotency-Key``: in flight, or done with its stored answer.

    ``created_at`` is when the current attempt claimed the key (its fence: only that attempt may
    finish or give up the record); ``lease_until``, while in flight, is when the claim lapses
    unless the attempt, still running, renews it. A retry takes over a lapsed claim."""

    __tablename__ = "idempotency_records"
    __table_args__ = (
        sa.CheckConstraint("state IN ('in_flight', 'done')", name="state_known"),
        sa.Index("ix_idempotency_records_created_at", "created_at"),
    )

    api_key_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(10))
    status_code: Mapped[int | None]
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    body: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
