"""The operational settings: checked at start, named in their errors, secrets never shown."""

from __future__ import annotations

import pytest

from kinabase_m365.settings import SettingsError, load_settings

BASE = {"KINABASE_ENV": "test"}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SCIM_RATE_LIMIT", "lots"),
        ("SCIM_RATE_LIMIT", ""),
        ("OAUTH_TOKEN_RATE_LIMIT", "30 per fortnight"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("LOG_FORMAT", "xml"),
        ("OAUTH_ACCESS_TOKEN_SECONDS", "5"),
        ("OAUTH_ACCESS_TOKEN_SECONDS", "864000"),
    ],
)
def test_a_wrong_value_stops_the_start_and_names_the_variable(variable: str, value: str) -> None:
    if value == "":
        overrides = {variable.lower(): value}
        with pytest.raises(SettingsError, match=variable):
            load_settings(BASE, overrides)
        return
    with pytest.raises(SettingsError, match=variable):
        load_settings({**BASE, variable: value})


def test_limits_in_the_libraries_notation_and_off_are_accepted() -> None:
    settings = load_settings(
        {**BASE, "SCIM_RATE_LIMIT": "50 per second; 1000/minute", "OAUTH_TOKEN_RATE_LIMIT": "off"}
    )

    assert settings.scim_rate_limit == "50 per second; 1000/minute"
    assert settings.oauth_token_rate_limit == "off"


def test_the_metrics_token_and_the_redis_password_are_never_shown() -> None:
    settings = load_settings(
        {**BASE, "METRICS_TOKEN": "scrape-secret", "REDIS_URL": "redis://:hunter2@cache:6379/0"}
    )

    shown = repr(settings)
    assert "scrape-secret" not in shown and "hunter2" not in shown
    assert "metrics_token='***'" in shown and "redis://:***@cache:6379/0" in shown
