"""Typed settings, grouped by concern, read from the environment (prefix ``VOELGOED_``).

Every field is documented because the environment is the operator's interface. A wrong value
fails at start: :func:`load_settings` raises :class:`SettingsError` whose message is one line per
problem, which the CLI prints without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./voelgoed.db"
ASYNC_DRIVERS = ("postgresql+asyncpg", "sqlite+aiosqlite")


class DatabaseSettings(BaseSettings):
    """Where the truth lives."""

    model_config = SettingsConfigDict(env_prefix="VOELGOED_DATABASE_", extra="ignore")

    url: str = Field(
        default=DEFAULT_SQLITE_URL,
        description=(
            "SQLAlchemy async URL. `postgresql+asyncpg://...` for production; the default is a "
            "SQLite file in the working directory (the embedded mode, no servers needed)."
        ),
    )
    pool_size: Annotated[int, Field(ge=1, le=200)] = Field(
        default=10, description="Connections kept open per process (PostgreSQL only)."
    )
    max_overflow: Annotated[int, Field(ge=0, le=200)] = Field(
        default=20, description="Extra connections a burst may open above pool_size."
    )
    pre_ping: bool = Field(
        default=False,
        description=(
            "Test each pooled connection before use. Costs a round trip per transaction; turn "
            "it on only if something between here and the database drops idle connections."
        ),
    )
    echo: bool = Field(default=False, description="Log every SQL statement (debugging only).")

    @field_validator("url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        url = url.strip()
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            # Operators paste libpq URLs; name the async driver for them.
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        if url.startswith("sqlite://"):
            url = "sqlite+aiosqlite://" + url.split("://", 1)[1]
        if not url.startswith(ASYNC_DRIVERS):
            raise ValueError(
                "must start with postgresql+asyncpg:// or sqlite+aiosqlite:// "
                f"(got {url.split('://', 1)[0]!r})"
            )
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


class RedisSettings(BaseSettings):
    """The cache, the lock service and the change feed. Optional: unset means embedded mode."""

    model_config = SettingsConfigDict(env_prefix="VOELGOED_REDIS_", extra="ignore")

    url: str | None = Field(
        default=None,
        description=(
            "redis:// or rediss:// URL. Unset: embedded mode (in-process locks, bitmaps and "
            "change feed; a single process only)."
        ),
    )
    cluster: bool = Field(
        default=False, description="Connect with the Redis Cluster client instead of a single node."
    )
    namespace: str = Field(
        default="voelgoed",
        pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$",
        description=(
            "First segment of every key (`{namespace}:org:{organization_id}:...`). Change it only "
            "to let two deployments, or two test runs, share one Redis."
        ),
    )
    socket_timeout_seconds: Annotated[float, Field(gt=0, le=30)] = Field(
        default=0.5,
        description="A Redis call slower than this is treated as Redis being unavailable.",
    )
    max_connections: Annotated[int, Field(ge=2, le=10_000)] = Field(
        default=64,
        description=(
            "Connections per process (per node for a cluster). A request finding all in use "
            "waits for one, up to the socket timeout, rather than failing."
        ),
    )
    retries: Annotated[int, Field(ge=0, le=10)] = Field(
        default=2,
        description=(
            "Times a command is re-sent after a timeout or a dropped connection. Safe: every "
            "script answers a repeat of the same request as it answered the first."
        ),
    )
    lock_lease_ms: Annotated[int, Field(ge=100, le=60_000)] = Field(
        default=5_000,
        description="Lease of a per-seat lock. It only has to outlive one reserve transaction.",
    )
    lock_attempts: Annotated[int, Field(ge=1, le=50)] = Field(
        default=5, description="Tries to take a contended lock before answering `busy`."
    )
    lock_retry_base_ms: Annotated[int, Field(ge=1, le=1_000)] = Field(
        default=15, description="Base of the jittered back-off between lock tries."
    )

    @field_validator("url")
    @classmethod
    def _redis_scheme(cls, url: str | None) -> str | None:
        if url is None or not url.strip():
            return None
        url = url.strip()
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return url

    @property
    def enabled(self) -> bool:
        return self.url is not None


class HoldSettings(BaseSettings):
    """Platform defaults and bounds for holds; organisations and events may override within them."""

    model_config = SettingsConfigDict(env_prefix="VOELGOED_HOLD_", extra="ignore")

    default_seconds: Annotated[int, Field(ge=60, le=7_200)] = Field(
        default=600, description="How long a hold lasts when neither organisation nor event says."
    )
    min_seconds: Annotated[int, Field(ge=60, le=7_200)] = Field(
        default=60, description="Shortest hold time an organisation or event may configure."
    )
    max_seconds: Annotated[int, Field(ge=60, le=7_200)] = Field(
        default=7_200, description="Longest hold time an organisation or event may configure."
    )
    max_total_seconds: Annotated[int, Field(ge=60, le=14_400)] = Field(
        default=3_600,
        description="Cap on a hold's whole life, extensions included, counted from its creation.",
    )
    max_seats_per_booking: Annotated[int, Field(ge=1, le=100)] = Field(
        default=10, description="Most seats one hold may cover unless the event says otherwise."
    )
    sweep_interval_seconds: Annotated[float, Field(gt=0, le=60)] = Field(
        default=1.0, description="How often the sweeper looks for expired holds."
    )

    @model_validator(mode="after")
    def _bounds_in_order(self) -> HoldSettings:
        if not self.min_seconds <= self.default_seconds <= self.max_seconds:
            raise ValueError("need min_seconds <= default_seconds <= max_seconds")
        return self

    @property
    def default_duration(self) -> timedelta:
        return timedelta(seconds=self.default_seconds)


DEVELOPMENT_SECRET = "development-only-not-a-secret"


class ApiSettings(BaseSettings):
    """The HTTP API: who runs it, its limits, and the secret behind public stream tokens."""

    model_config = SettingsConfigDict(env_prefix="VOELGOED_API_", extra="ignore")

    environment: Literal["development", "production"] = Field(
        default="development",
        description="`production` refuses the development placeholder secret.",
    )
    secret: str = Field(
        default=DEVELOPMENT_SECRET,
        min_length=16,
        description=(
            "Signs the public read tokens of event seat streams. Set a long random value in "
            "production; the default is refused there."
        ),
    )
    rate_limit_per_second: Annotated[int, Field(ge=0, le=1_000_000)] = Field(
        default=200, description="Requests per second per API key; 0 turns the limit off."
    )
    max_body_bytes: Annotated[int, Field(ge=1_024, le=10_000_000)] = Field(
        default=1_000_000, description="Largest request body, except layout documents."
    )
    max_document_bytes: Annotated[int, Field(ge=1_024, le=200_000_000)] = Field(
        default=40_000_000, description="Largest layout document (100,000 seats is ~10 MB)."
    )

    @model_validator(mode="after")
    def _no_placeholder_in_production(self) -> ApiSettings:
        if self.environment == "production" and self.secret == DEVELOPMENT_SECRET:
            raise ValueError("set VOELGOED_API_SECRET: the placeholder is for development only")
        return self


GROUPS: dict[str, type[BaseSettings]] = {
    "database": DatabaseSettings,
    "redis": RedisSettings,
    "holds": HoldSettings,
    "api": ApiSettings,
}


@dataclass(frozen=True)
class Settings:
    """All groups together; each group reads its own part of the environment."""

    database: DatabaseSettings
    redis: RedisSettings
    holds: HoldSettings
    api: ApiSettings = field(default_factory=ApiSettings)


class SettingsError(Exception):
    """A configuration value is wrong; the message names each variable and why."""


def load_settings(**overrides: BaseSettings) -> Settings:
    """Read and validate every group now, so a bad value fails at start, not mid-request.

    ``overrides`` replaces whole groups (tests and benchmarks build them in code).
    """
    groups: dict[str, BaseSettings] = {}
    problems: list[str] = []
    for name, group_class in GROUPS.items():
        if name in overrides:
            groups[name] = overrides[name]
            continue
        try:
            groups[name] = group_class()
        except ValidationError as exc:
            problems.extend(_describe(group_class, exc))
    if problems:
        raise SettingsError("invalid configuration: " + "; ".join(problems))
    return Settings(**groups)  # type: ignore[arg-type]


def _describe(group_class: type[BaseSettings], exc: ValidationError) -> list[str]:
    prefix = str(group_class.model_config.get("env_prefix", ""))
    described = []
    for error in exc.errors():
        field = "_".join(str(part) for part in error["loc"]).upper()
        described.append(f"{prefix}{field or '*'}: {error['msg']}")
    return described
