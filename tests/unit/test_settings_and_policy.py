from __future__ import annotations

import pytest

from voelgoedevents.domain.errors import InvalidInput
from voelgoedevents.domain.ticketing.policy import PolicyOverrides, SeatingPolicy, parse_overrides
from voelgoedevents.settings import DEFAULT_SQLITE_URL, SettingsError, load_settings

PLATFORM = SeatingPolicy(hold_seconds=600, max_seats_per_booking=10, max_total_hold_seconds=3600)


def test_defaults_need_no_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VOELGOED_DATABASE_URL", "VOELGOED_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database.url == DEFAULT_SQLITE_URL
    assert not settings.redis.enabled
    assert settings.holds.default_seconds == 600


def test_a_bad_value_fails_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VOELGOED_DATABASE_URL", "mysql://db/x")
    monkeypatch.setenv("VOELGOED_HOLD_DEFAULT_SECONDS", "30")
    monkeypatch.setenv("VOELGOED_REDIS_URL", "http://nope")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    for name in ("VOELGOED_DATABASE_URL", "VOELGOED_HOLD_DEFAULT_SECONDS", "VOELGOED_REDIS_URL"):
        assert name in message


def test_libpq_urls_get_the_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOELGOED_DATABASE_URL", "postgresql://127.0.0.1/app")
    assert load_settings().database.url == "postgresql+asyncpg://127.0.0.1/app"


def test_policy_layers_override_in_order() -> None:
    organisation = PolicyOverrides(hold_seconds=900)
    event = PolicyOverrides(max_seats_per_booking=4)
    policy = SeatingPolicy.resolve(PLATFORM, organisation, event)
    assert (policy.hold_seconds, policy.max_seats_per_booking) == (900, 4)


@pytest.mark.parametrize("seconds", [59, 7_201])
def test_hold_time_is_bounded_to_one_minute_and_two_hours(seconds: int) -> None:
    with pytest.raises(InvalidInput, match="hold_seconds"):
        parse_overrides({"hold_seconds": seconds}, where="settings")
