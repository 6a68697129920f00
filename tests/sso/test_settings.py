"""The settings sign-in adds: certificate, session lifetimes, and PUBLIC_BASE_URL's rules."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kinabase_m365.settings import Environment, SettingsError, load_settings
from sso.sessions import signing_key
from sso.urls import allowed_redirect_uris

BASE = {
    "KINABASE_SECRET_KEY": "Zr3pQ8vLx2NwT7kHc9FbYd4MgJs6UaEe1RoVi5XtKq0",
    "PUBLIC_BASE_URL": "https://kinabase.example",
}


def test_sign_in_settings_come_from_the_environment(tmp_path: Path) -> None:
    certificate = tmp_path / "app.pfx"
    certificate.write_bytes(b"pfx")

    settings = load_settings(
        BASE
        | {
            "MICROSOFT_CLIENT_ID": "client",
            "MICROSOFT_CLIENT_CERTIFICATE_PATH": str(certificate),
            "MICROSOFT_CLIENT_CERTIFICATE_PASSWORD": "pass",
            "SESSION_ACCESS_MINUTES": "10",
            "SESSION_REFRESH_DAYS": "2",
        }
    )

    assert settings.microsoft_configured  # a certificate is enough, no secret needed
    assert settings.microsoft_client_certificate_password == "pass"
    assert (settings.session_access_minutes, settings.session_refresh_days) == (10, 2)
    assert allowed_redirect_uris(settings) == (
        "https://kinabase.example/auth/microsoft/callback",
        "https://kinabase.example/auth/microsoft/admin-consent",
    )


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"MICROSOFT_CLIENT_ID": "c", "MICROSOFT_CLIENT_SECRET": "x",
          "PUBLIC_BASE_URL": "http://kinabase.example"}, "PUBLIC_BASE_URL"),
        ({"MICROSOFT_CLIENT_CERTIFICATE_PATH": "/nowhere/app.pfx"},
         "MICROSOFT_CLIENT_CERTIFICATE_PATH"),
        ({"SESSION_ACCESS_MINUTES": "0"}, "SESSION_ACCESS_MINUTES"),
        ({"SESSION_REFRESH_DAYS": "soon"}, "SESSION_REFRESH_DAYS"),
    ],
)  # fmt: skip
def test_wrong_sign_in_settings_fail_at_start_naming_the_variable(
    environ: dict[str, str], variable: str
) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(BASE | environ)


def test_plain_http_is_allowed_for_localhost_only() -> None:
    microsoft = {"MICROSOFT_CLIENT_ID": "c", "MICROSOFT_CLIENT_SECRET": "x"}
    for base in ("http://localhost:8000", "http://127.0.0.1:8000"):
        assert load_settings(BASE | microsoft | {"PUBLIC_BASE_URL": base}).public_base_url == base
    # Without Microsoft sign-in, PUBLIC_BASE_URL is SCIM's business only.
    assert load_settings(BASE | {"PUBLIC_BASE_URL": "http://scim.internal"}).public_base_url


def test_an_app_registration_needs_no_public_base_url_at_start() -> None:
    """App-only use (Graph reads) has no redirect URI; sign-in says PUBLIC_BASE_URL is missing
    when it is asked for (test_microsoft_endpoints)."""
    microsoft = {"MICROSOFT_CLIENT_ID": "c", "MICROSOFT_CLIENT_SECRET": "x"}

    settings = load_settings(
        {"KINABASE_SECRET_KEY": "Zr3pQ8vLx2NwT7kHc9FbYd4MgJs6UaEe1RoVi5XtKq0"} | microsoft
    )

    assert settings.environment is Environment.PRODUCTION and settings.microsoft_configured
    assert settings.public_base_url == "" and allowed_redirect_uris(settings) == ()


@pytest.mark.parametrize(
    "key",
    ["s", "test-secret-key", "a" * 64, "ab" * 40, "0123456789abcdef" * 3, secrets.token_hex(16)],
)
def test_production_refuses_a_secret_key_under_32_bytes_of_randomness(key: str) -> None:
    with pytest.raises(SettingsError, match="KINABASE_SECRET_KEY must carry at least 32 bytes"):
        load_settings(BASE | {"KINABASE_SECRET_KEY": key})
    assert load_settings(BASE | {"KINABASE_SECRET_KEY": key, "KINABASE_ENV": "test"})


def test_production_accepts_generated_keys_and_refuses_insecure_cookies() -> None:
    for key in (secrets.token_urlsafe(32), secrets.token_hex(32)):
        assert load_settings(BASE | {"KINABASE_SECRET_KEY": key}).secret_key == key
    with pytest.raises(SettingsError, match="SESSION_COOKIE_SECURE"):
        load_settings(BASE | {"SESSION_COOKIE_SECURE": "false"})
    development = {"KINABASE_ENV": "development", "SESSION_COOKIE_SECURE": "false"}
    assert not load_settings(development).session_cookie_secure


def test_the_session_signing_key_is_derived_with_hkdf() -> None:
    expected = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"kinabase session tokens"
    ).derive(b"k")
    assert signing_key("k") == expected
    assert signing_key("k") != signing_key("k2")


@pytest.mark.parametrize(
    "base",
    [
        "http://localhost.evil.example",
        "http://127.0.0.1.evil.example:8000",
        "http://localhost@evil.example",
        "http://evil.example/http://localhost",
    ],
)
def test_a_name_that_only_starts_like_localhost_is_no_development_base_url(base: str) -> None:
    microsoft = {"MICROSOFT_CLIENT_ID": "c", "MICROSOFT_CLIENT_SECRET": "x"}
    with pytest.raises(SettingsError, match="PUBLIC_BASE_URL"):
        load_settings(BASE | microsoft | {"PUBLIC_BASE_URL": base, "KINABASE_ENV": "development"})
