"""Who may do what: API key roles, and how a key is made and checked.

A key is shown once: ``vg_<prefix>_<secret>``. The prefix finds the key's row; only a SHA-256
hash of the secret is stored. (A slow password hash buys nothing for 256-bit random secrets.)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from voelgoedevents.domain.fields import PLAIN

KEY_PREFIX = "vg"


class Role(StrEnum):
    PLATFORM = "platform"  # organisations and their keys; acts in no organisation
    ADMIN = "admin"  # venues, layouts, events, ticket types, blocks, refunds; and sales
    SALES = "sales"  # holds and orders; and reads
    READ = "read"  # reads only


_INCLUDES: dict[Role, frozenset[Role]] = {
    Role.PLATFORM: frozenset({Role.PLATFORM}),
    Role.ADMIN: frozenset({Role.ADMIN, Role.SALES, Role.READ}),
    Role.SALES: frozenset({Role.SALES, Role.READ}),
    Role.READ: frozenset({Role.READ}),
}


def allows(role: Role, needed: Role) -> bool:
    return needed in _INCLUDES[role]


class ApiKeySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), PLAIN
    ]
    role: Role


@dataclass(frozen=True)
class NewSecret:
    token: str  # what the caller keeps; never stored
    prefix: str
    secret_hash: str


def new_secret() -> NewSecret:
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewSecret(f"{KEY_PREFIX}_{prefix}_{secret}", prefix, hash_secret(secret))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(token: str) -> tuple[str, str] | None:
    """(prefix, secret), or None if the token is not shaped like one of ours."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 12 or not parts[2]:
        return None
    return parts[1], parts[2]


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def stream_token(secret: str, organization_id: object, event_id: object) -> str:
    """A public read token for one event's seat stream (a map page may embed it)."""
    message = f"stream:{organization_id}:{event_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:40]


def stream_token_matches(
    secret: str, organization_id: object, event_id: object, token: str
) -> bool:
    return hmac.compare_digest(stream_token(secret, organization_id, event_id), token)
