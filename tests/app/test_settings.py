"""Settings come from the environment; missing or malformed ones fail at start, by name."""

from __future__ import annotations

import pytest

from kinabase_m365.settings import (
    DEFAULT_DATABASE_URL,
    Environment,
    SettingsError,
    load_settings,
)


def test_production_requires_a_secret_key_and_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="KINABASE_SECRET_KEY"):
        load_settings({})


def test_development_falls_back_to_a_marked_insecure_secret() -> None:
    settings = load_settings({"KINABASE_ENV": "development"})
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.uses_development_secret
    assert settings.database_url == DEFAULT_DATABASE_URL


def test_production_refuses_the_development_secret() -> None:
    development = load_settings({"KINABASE_ENV": "development"})
    with pytest.raises(SettingsError, match="development secret"):
        load_settings({"KINABASE_SECRET_KEY": development.secret_key})


def test_values_are_converted_and_malformed_ones_are_named() -> None:
    settings = load_settings(
        {
            "KINABASE_SECRET_KEY": "Zr3pQ8vLx2NwT7kHc9FbYd4MgJs6UaEe1RoVi5XtKq0",
            "SCIM_MAX_PAGE_SIZE": "50",
            "SESSION_COOKIE_SECURE": "no",
            "KINABASE_ENV": "test",
        }
    )
    assert settings.scim_max_page_size == 50
    assert settings.session_cookie_secure is False
    with pytest.raises(SettingsError, match="SCIM_MAX_PAGE_SIZE"):
        load_settings(
            {
                "KINABASE_SECRET_KEY": "Zr3pQ8vLx2NwT7kHc9FbYd4MgJs6UaEe1RoVi5XtKq0",
                "SCIM_MAX_PAGE_SIZE": "many",
            }
        )
    with pytest.raises(SettingsError, match="KINABASE_ENV"):
        load_settings({"KINABASE_ENV": "staging"})
    with pytest.raises(SettingsError, match="MICROSOFT_AUTHORITY_HOST"):
        load_settings(
            {
                "KINABASE_SECRET_KEY": "Zr3pQ8vLx2NwT7kHc9FbYd4MgJs6UaEe1RoVi5XtKq0",
                "MICROSOFT_AUTHORITY_HOST": "http://x",
            }
        )


def test_settings_are_frozen() -> None:
    settings = load_settings({"KINABASE_SECRET_KEY": "Zr3pQ8vLx2NwT7kHc9FbYd4MgJs6UaEe1RoVi5XtKq0"})
    with pytest.raises(AttributeError):
        settings.secret_key = "other"  # type: ignore[misc]


def test_repr_and_str_show_no_secret() -> None:
    secrets = {
        "KINABASE_SECRET_KEY": "Zr3pQ8vLx2NwT7kHc9FbYd4MgJs6UaEe1RoVi5XtKq0",
        "MICROSOFT_CLIENT_SECRET": "client-secret-2",
        "MICROSOFT_CLIENT_CERTIFICATE_PASSWORD": "pfx-password-3",
    }
    database = "postgresql+psycopg://kinabase:db-p%40ssword-4@db.internal:5432/kinabase"
    settings = load_settings(
        secrets | {"MICROSOFT_CLIENT_ID": "client-id-5", "DATABASE_URL": database}
    )

    for shown in (repr(settings), str(settings), f"{settings!r}", repr([settings])):
        for secret in [*secrets.values(), "db-p%40ssword-4", "db-p@ssword-4"]:
            assert secret not in shown
        # What is not secret stays readable, and a set secret shows that it is set.
        assert "client-id-5" in shown and "kinabase:***@db.internal:5432/kinabase" in shown
        assert "secret_key='***'" in shown and "microsoft_client_secret='***'" in shown
    assert settings.database_url == database  # only the repr hides it
    assert "microsoft_client_secret=''" in repr(
        load_settings({"KINABASE_SECRET_KEY": "Zr3pQ8vLx2NwT7kHc9FbYd4MgJs6UaEe1RoVi5XtKq0"})
    )
    mistyped = load_settings(
        {
            "KINABASE_SECRET_KEY": "Zr3pQ8vLx2NwT7kHc9FbYd4MgJs6UaEe1RoVi5XtKq0",
            "DATABASE_URL": "postgresql//u:pw-6@h/db",
        }
    )
    assert "pw-6" not in repr(mistyped)  # a URL that cannot be read is hidden whole
