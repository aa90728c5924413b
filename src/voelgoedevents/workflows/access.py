"""API keys: create (the token is shown once), list, revoke, and authenticate a request."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from voelgoedevents.adapters.database.tables import ApiKey, IdempotencyRecord, Organization
from voelgoedevents.domain.access import (
    ApiKeySpec,
    Role,
    new_secret,
    secret_matches,
    split_token,
)
from voelgoedevents.domain.errors import InvalidInput, NotFound
from voelgoedevents.workflows.services import Services

# How long a process trusts a key it has checked: revocation takes effect within this.
AUTH_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Caller:
    key_id: uuid.UUID
    organization_id: uuid.UUID | None
    role: Role
    name: str


@dataclass(frozen=True)
class ApiKeyView:
    id: uuid.UUID
    organization_id: uuid.UUID | None
    name: str
    prefix: str
    role: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiKey) -> ApiKeyView:
        return cls(
            row.id,
            row.organization_id,
            row.name,
            row.prefix,
            row.role.value,
            row.created_at,
            row.revoked_at,
        )


async def create_api_key(
    services: Services, *, organization_id: uuid.UUID | None, spec: ApiKeySpec
) -> tuple[ApiKeyView, str]:
    """The key's view and its token: the only time the token exists outside the caller."""
    if (spec.role is Role.PLATFORM) != (organization_id is None):
        raise InvalidInput(
            "platform keys belong to no organisation; all others to one", field="role"
        )
    secret = new_secret()
    async with services.uow() as uow:
        if (
            organization_id is not None
            and await uow.session.get(Organization, organization_id) is None
        ):
            raise NotFound("organisation not found")
        key = ApiKey(
            organization_id=organization_id,
            name=spec.name,
            prefix=secret.prefix,
            secret_hash=secret.secret_hash,
            role=spec.role,
            created_at=services.clock(),
        )
        uow.session.add(key)
        await uow.session.flush()
        await uow.commit()
        return ApiKeyView.of(key), secret.token


async def list_api_keys(services: Services, organization_id: uuid.UUID | None) -> list[ApiKeyView]:
    async with services.uow() as uow:
        statement = sa.select(ApiKey).order_by(ApiKey.created_at)
        if organization_id is not None:
            statement = statement.where(ApiKey.organization_id == organization_id)
        return [ApiKeyView.of(row) for row in await uow.session.scalars(statement)]


async def revoke_api_key(
    services: Services, *, key_id: uuid.UUID, organization_id: uuid.UUID | None = None
) -> ApiKeyView:
    """Idempotent. With ``organization_id``, only that organisation's keys are found."""
    async with services.uow() as uow:
        key = await uow.session.get(ApiKey, key_id, with_for_update=True)
        if key is None or (organization_id is not None and key.organization_id != organization_id):
            raise NotFound("key not found")
        if key.revoked_at is None:
            key.revoked_at = services.clock()
        await uow.commit()
        return ApiKeyView.of(key)


class Authenticator:
    """Turns a bearer token into a Caller, remembering answers for a few seconds."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._known: dict[str, tuple[float, Caller | None]] = {}

    async def caller(self, token: str) -> Caller | None:
        parts = split_token(token)
        if parts is None:
            return None
        remembered = self._known.get(token)
        if remembered is not None and remembered[0] > time.monotonic():
            return remembered[1]
        prefix, secret = parts
        async with self._services.uow() as uow:
            key = (
                await uow.session.execute(sa.select(ApiKey).where(ApiKey.prefix == prefix))
            ).scalar_one_or_none()
        caller = None
        if key is not None and key.revoked_at is None and secret_matches(secret, key.secret_hash):
            caller = Caller(key.id, key.organization_id, key.role, key.name)
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[token] = (time.monotonic() + AUTH_CACHE_SECONDS, caller)
        return caller


# --- idempotent writes ------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredAnswer:
    state: str  # "new" (go ahead), "in_flight", "done", "mismatch"
    status_code: int | None = None
    content_type: str | None = None
    body: bytes | None = None
    claimed_at: datetime | None = None  # "new": this request's claim, to finish or abandon it


# A key in flight is held by a lease its request renews while it runs (every RENEW_SECONDS):
# an attempt that died (a killed worker, a lost connection to the database) stops renewing, and
# a retry takes the key over once the lease lapses, seconds later, instead of getting 409 for a
# minute. Long enough that a renewal held up by a busy database does not lose a live claim.
IN_FLIGHT_LEASE = timedelta(seconds=2)
RENEW_SECONDS = 0.5
# Records written by servers from before leases (none while they are upgraded): their claim
# lapses a minute after it was made, as it did then.
UNLEASED_CLAIM = timedelta(seconds=60)


async def begin_idempotent(
    services: Services, *, key_id: uuid.UUID, key: str, request_hash: str
) -> StoredAnswer:
    """Claim the key for this request, or say what became of the first request with it."""
    now = services.clock()
    async with services.uow() as uow:
        dialect = postgresql if uow.session.get_bind().dialect.name == "postgresql" else sqlite
        inserted = await uow.session.execute(
            dialect.insert(IdempotencyRecord)
            .values(
                api_key_id=key_id,
                key=key,
                request_hash=request_hash,
                state="in_flight",
                created_at=now,
                lease_until=now + IN_FLIGHT_LEASE,
            )
            .on_conflict_do_nothing()
            .returning(IdempotencyRecord.key)
        )
        claimed = inserted.first() is not None
        if not claimed:  # taken: take it over only from an attempt whose lease lapsed
            taken = await uow.session.execute(
                sa.update(IdempotencyRecord)
                .where(
                    *_record(key_id, key),
                    IdempotencyRecord.state == "in_flight",
                    IdempotencyRecord.request_hash == request_hash,
                    sa.or_(
                        IdempotencyRecord.lease_until <= now,
                        sa.and_(
                            IdempotencyRecord.lease_until.is_(None),
                            IdempotencyRecord.created_at < now - UNLEASED_CLAIM,
                        ),
                    ),
                )
                .values(created_at=now, lease_until=now + IN_FLIGHT_LEASE)
                .returning(IdempotencyRecord.key)
            )
            claimed = taken.first() is not None
        if claimed:
            await uow.commit()
            return StoredAnswer("new", claimed_at=now)
        record = await uow.session.get(IdempotencyRecord, (key_id, key))
    if record is None:  # finished and purged in between: treat as new next time
        return StoredAnswer("in_flight")
    if record.request_hash != request_hash:
        return StoredAnswer("mismatch")
    if record.state == "in_flight":
        return StoredAnswer("in_flight")
    return StoredAnswer("done", record.status_code, record.content_type, record.body)


async def renew_idempotent(
    services: Services, *, key_id: uuid.UUID, key: str, claimed_at: datetime
) -> bool:
    """The request holding the key still runs: a fresh lease. False if the claim is no longer
    its own (a retry took the key over after a lease lapsed, or the record is gone)."""
    async with services.uow() as uow:
        renewed = await uow.session.execute(
            sa.update(IdempotencyRecord)
            .where(*_record(key_id, key, claimed_at), IdempotencyRecord.state == "in_flight")
            .values(lease_until=services.clock() + IN_FLIGHT_LEASE)
            .returning(IdempotencyRecord.key)
        )
        mine = renewed.first() is not None
        await uow.commit()
        return mine


def _record(key_id: uuid.UUID, key: str, claimed_at: datetime | None = None) -> list[Any]:
    """The record of (API key, Idempotency-Key); with ``claimed_at``, only while that claim
    holds it (a late first attempt must not overwrite the retry that took over from it)."""
    conditions = [IdempotencyRecord.api_key_id == key_id, IdempotencyRecord.key == key]
    if claimed_at is not None:
        conditions.append(IdempotencyRecord.created_at == claimed_at)
    return conditions


async def finish_idempotent(
    services: Services,
    *,
    key_id: uuid.UUID,
    key: str,
    claimed_at: datetime,
    status_code: int,
    content_type: str,
    body: bytes,
) -> None:
    async with services.uow() as uow:
        await uow.session.execute(
            sa.update(IdempotencyRecord)
            .where(*_record(key_id, key, claimed_at), IdempotencyRecord.state == "in_flight")
            .values(
                state="done",
                status_code=status_code,
                content_type=content_type,
                body=body,
                lease_until=None,
            )
        )
        await uow.commit()


async def abandon_idempotent(
    services: Services, *, key_id: uuid.UUID, key: str, claimed_at: datetime
) -> None:
    """The first attempt failed on our side: a retry may run afresh."""
    async with services.uow() as uow:
        await uow.session.execute(
            sa.delete(IdempotencyRecord).where(
                *_record(key_id, key, claimed_at), IdempotencyRecord.state == "in_flight"
            )
        )
        await uow.commit()


async def purge_idempotency_records(services: Services, *, older_than: datetime) -> int:
    async with services.uow() as uow:
        result = await uow.session.execute(
            sa.delete(IdempotencyRecord).where(IdempotencyRecord.created_at < older_than)
        )
        await uow.commit()
        return int(getattr(result, "rowcount", 0) or 0)
