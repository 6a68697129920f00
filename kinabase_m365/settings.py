"""Settings, read once from environment variables into a frozen, typed object.

Every variable is listed in the README's configuration table. A production start without a
required variable fails at once with a message that names it; development mode (what `make run`
asks for) may fall back to an insecure secret and says so.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///instance/kinabase.db"
DEFAULT_JOBS_SQLITE_PATH = "instance/jobs.db"
DEVELOPMENT_SECRET_KEY = "development-only-insecure-secret-key"  # noqa: S105 - refused in production
# Per provisioning token or OAuth client, in the `limits` library's notation; docs/scim.md says
# why these figures (Entra's gallery asks for 25 requests a second per tenant).
DEFAULT_SCIM_RATE_LIMIT = "1000/second;6000/minute"
# Per client id at the token endpoint (Entra asks for a token about once an hour).
DEFAULT_OAUTH_TOKEN_RATE_LIMIT = "30/minute"  # noqa: S105 - a rate, not a secret
RATE_LIMIT_OFF = "off"
LOG_FORMATS = ("json", "text")


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names the environment variable."""


class Environment(enum.StrEnum):
    """How the service runs: production refuses development defaults."""

    PRODUCTION = "production"
    DEVELOPMENT = "development"
    TEST = "test"


@dataclass(frozen=True, repr=False)
class Settings:
    """The service's configuration. Field names match the environment variables, lower-cased.

    Its repr (and so str, and any log line or traceback that shows it) hides the secrets: the
    secret key, the client secret, the certificate's password and the database URL's password.
    """

    environment: Environment = Environment.PRODUCTION
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    log_level: str = "INFO"
    public_base_url: str = ""
    scim_max_page_size: int = 1000
    scim_bulk_max_operations: int = 1000
    scim_bulk_max_payload_bytes: int = 1_048_576
    scim_max_request_bytes: int = 8 * 1024 * 1024
    scim_cursor_timeout_seconds: int = 3600
    session_cookie_secure: bool = True
    microsoft_client_id: str = ""
    microsoft_client_secret: str = ""
    microsoft_client_certificate_path: str = ""
    microsoft_client_certificate_password: str = ""
    microsoft_authority_host: str = "https://login.microsoftonline.com"
    microsoft_graph_base_url: str = "https://graph.microsoft.com"
    session_access_minutes: int = 30
    session_refresh_days: int = 14
    session_max_days: int = 30
    redis_url: str = ""
    files_directory: str = "instance/files"
    files_max_bytes: int = 1_073_741_824
    oauth_access_token_seconds: int = 3600
    scim_rate_limit: str = DEFAULT_SCIM_RATE_LIMIT
    oauth_token_rate_limit: str = DEFAULT_OAUTH_TOKEN_RATE_LIMIT
    metrics_token: str = ""
    log_format: str = "json"
    jobs_sqlite_path: str = DEFAULT_JOBS_SQLITE_PATH
    job_stale_seconds: int = 60
    provisioning_activity_retention_days: int = 30
    # The Application ID URI of the service's API (Entra "Expose an API"); empty: api://<client id>
    outlook_api_identifier_uri: str = ""

    def __repr__(self) -> str:
        shown = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name in SECRET_FIELDS:
                text = "'***'" if value else "''"
            elif field.name in ("database_url", "redis_url"):
                text = repr(_without_password(value)) if value else "''"
            else:
                text = repr(value)
            shown.append(f"{field.name}={text}")
        return f"Settings({', '.join(shown)})"

    @property
    def uses_development_secret(self) -> bool:
        """Whether the insecure development secret is in use."""
        return self.secret_key == DEVELOPMENT_SECRET_KEY

    @property
    def microsoft_configured(self) -> bool:
        """Whether a Microsoft app registration is configured (sign-in, consent, Graph)."""
        credential = self.microsoft_client_secret or self.microsoft_client_certificate_path
        return bool(self.microsoft_client_id and credential)


SECRET_FIELDS = frozenset(
    {
        "secret_key",
        "microsoft_client_secret",
        "microsoft_client_certificate_password",
        "metrics_token",
    }
)


def _without_password(database_url: str) -> str:
    """The URL with its password masked (the whole URL, if it cannot be read)."""
    if not database_url:
        return ""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "***"


# Environment variable → settings field.
ENVIRONMENT_VARIABLES: dict[str, str] = {
    "KINABASE_ENV": "environment",
    "DATABASE_URL": "database_url",
    "KINABASE_SECRET_KEY": "secret_key",
    "LOG_LEVEL": "log_level",
    "PUBLIC_BASE_URL": "public_base_url",
    "SCIM_MAX_PAGE_SIZE": "scim_max_page_size",
    "SCIM_BULK_MAX_OPERATIONS": "scim_bulk_max_operations",
    "SCIM_BULK_MAX_PAYLOAD_BYTES": "scim_bulk_max_payload_bytes",
    "SCIM_MAX_REQUEST_BYTES": "scim_max_request_bytes",
    "SCIM_CURSOR_TIMEOUT_SECONDS": "scim_cursor_timeout_seconds",
    "SESSION_COOKIE_SECURE": "session_cookie_secure",
    "MICROSOFT_CLIENT_ID": "microsoft_client_id",
    "MICROSOFT_CLIENT_SECRET": "microsoft_client_secret",
    "MICROSOFT_CLIENT_CERTIFICATE_PATH": "microsoft_client_certificate_path",
    "MICROSOFT_CLIENT_CERTIFICATE_PASSWORD": "microsoft_client_certificate_password",
    "MICROSOFT_AUTHORITY_HOST": "microsoft_authority_host",
    "MICROSOFT_GRAPH_BASE_URL": "microsoft_graph_base_url",
    "SESSION_ACCESS_MINUTES": "session_access_minutes",
    "SESSION_REFRESH_DAYS": "session_refresh_days",
    "SESSION_MAX_DAYS": "session_max_days",
    "REDIS_URL": "redis_url",
    "FILES_DIRECTORY": "files_directory",
    "FILES_MAX_BYTES": "files_max_bytes",
    "OAUTH_ACCESS_TOKEN_SECONDS": "oauth_access_token_seconds",
    "SCIM_RATE_LIMIT": "scim_rate_limit",
    "OAUTH_TOKEN_RATE_LIMIT": "oauth_token_rate_limit",
    "METRICS_TOKEN": "metrics_token",
    "LOG_FORMAT": "log_format",
    "JOBS_SQLITE_PATH": "jobs_sqlite_path",
    "JOB_STALE_SECONDS": "job_stale_seconds",
    "PROVISIONING_ACTIVITY_RETENTION_DAYS": "provisioning_activity_retention_days",
    "OUTLOOK_API_IDENTIFIER_URI": "outlook_api_identifier_uri",
}
_VARIABLE_OF_FIELD = {field: variable for variable, field in ENVIRONMENT_VARIABLES.items()}


def load_settings(
    environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Settings from the environment, then `overrides` (keyed by field name), then validated."""
    values: dict[str, Any] = {}
    fields = {field.name: field for field in dataclasses.fields(Settings)}
    for variable, name in ENVIRONMENT_VARIABLES.items():
        raw = environ.get(variable)
        if raw is not None and raw != "":
            values[name] = _convert(variable, fields[name].type, raw)
    for name, value in (overrides or {}).items():
        if name not in fields:
            raise SettingsError(f"unknown setting {name!r}")
        values[name] = value
    settings = Settings(**values)
    return _validated(settings)


def _convert(variable: str, type_name: Any, raw: str) -> Any:
    type_name = str(type_name)
    try:
        if type_name == "int":
            return int(raw)
        if type_name == "bool":
            return _parse_bool(raw)
        if type_name == "Environment":
            return Environment(raw.lower())
    except ValueError:
        raise SettingsError(f"{variable} has an invalid value: {raw!r}") from None
    return raw


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _validated(settings: Settings) -> Settings:
    if not settings.secret_key:
        if settings.environment is Environment.PRODUCTION:
            raise SettingsError(
                "KINABASE_SECRET_KEY is required in production "
                "(set KINABASE_ENV=development to run with an insecure development secret)"
            )
        settings = dataclasses.replace(settings, secret_key=DEVELOPMENT_SECRET_KEY)
    elif settings.environment is Environment.PRODUCTION:
        _validate_production_secrets(settings)
    for name in ("scim_max_page_size", "scim_bulk_max_operations", "scim_bulk_max_payload_bytes"):
        if getattr(settings, name) < 1:
            raise SettingsError(f"{_VARIABLE_OF_FIELD[name]} must be at least 1")
    if settings.scim_max_request_bytes < 1024:
        raise SettingsError("SCIM_MAX_REQUEST_BYTES must be at least 1024")
    for name in ("microsoft_authority_host", "microsoft_graph_base_url"):
        if not getattr(settings, name).startswith("https://"):
            raise SettingsError(f"{_VARIABLE_OF_FIELD[name]} must be an https:// URL")
    for name in (
        "session_access_minutes",
        "session_refresh_days",
        "session_max_days",
        "files_max_bytes",
        "job_stale_seconds",
        "scim_cursor_timeout_seconds",
        "provisioning_activity_retention_days",
    ):
        if getattr(settings, name) < 1:
            raise SettingsError(f"{_VARIABLE_OF_FIELD[name]} must be at least 1")
    _validate_microsoft_sign_in(settings)
    _validate_operations(settings)
    return settings


MIN_SECRET_KEY_BITS = 256
# Alphabets a generated key is written in, smallest first, and the bits each character carries.
_KEY_ALPHABETS = (
    (frozenset(string.hexdigits), 4.0),
    (frozenset(string.ascii_letters + string.digits + "+/=-_"), 6.0),
    (frozenset(string.printable) - frozenset(string.whitespace), math.log2(94)),
)


def secret_key_bits(key: str) -> float:
    """How many bits of randomness a secret key can at most carry: its length times the bits per
    character of the smallest usual alphabet it is written in (hex: 4, base64: 6, printable: 6.5),
    or 0 for a key of fewer than 8 distinct characters ("aaaa…", "abab…"), which is no random
    string. An estimate from above: a long passphrase passes, though it is weaker than it looks;
    `secrets.token_urlsafe(32)` (43 characters) and `secrets.token_hex(32)` are 256 bits or more.
    """
    if len(set(key)) < 8:
        return 0.0
    characters = set(key)
    for alphabet, bits in _KEY_ALPHABETS:
        if characters <= alphabet:
            return len(key) * bits
    return len(key.encode()) * 8 / 2  # other characters: count half of their bytes


def _validate_production_secrets(settings: Settings) -> None:
    """Production refuses the development secret, a secret under 32 bytes of randomness, and
    cookies that are not Secure (a session token sent over plain HTTP can be read on the way)."""
    if settings.uses_development_secret:
        raise SettingsError("KINABASE_SECRET_KEY must not be the development secret in production")
    if secret_key_bits(settings.secret_key) < MIN_SECRET_KEY_BITS:
        raise SettingsError(
            "KINABASE_SECRET_KEY must carry at least 32 bytes of randomness in production: "
            "make one with  python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    if not settings.session_cookie_secure:
        raise SettingsError(
            "SESSION_COOKIE_SECURE=false is refused in production: session cookies must only "
            "travel over HTTPS (use KINABASE_ENV=development for local plain HTTP)"
        )


def is_local_http_url(url: str) -> bool:
    """Whether `url` is plain HTTP to this machine itself: the host exactly localhost or a
    loopback address, never a name that merely starts with one (http://localhost.evil.example)."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme == "http" and hostname in ("localhost", "127.0.0.1", "::1")


def _validate_operations(settings: Settings) -> None:
    """Access token lifetime, rate limits, their storage and the log format."""
    if not 60 <= settings.oauth_access_token_seconds <= 86_400:
        raise SettingsError("OAUTH_ACCESS_TOKEN_SECONDS must be between 60 and 86400")
    for name in ("scim_rate_limit", "oauth_token_rate_limit"):
        value = getattr(settings, name).strip()
        if value.lower() == RATE_LIMIT_OFF:
            continue
        try:
            parsed = parse_many(value)
        except ValueError:
            parsed = []
        if not parsed:
            raise SettingsError(
                f"{_VARIABLE_OF_FIELD[name]} must be limits such as '1000/second;6000/minute', "
                f"or {RATE_LIMIT_OFF!r}: {value!r}"
            )
    if settings.redis_url and not settings.redis_url.startswith(("redis://", "rediss://")):
        raise SettingsError("REDIS_URL must be a redis:// or rediss:// URL")
    if settings.log_format not in LOG_FORMATS:
        raise SettingsError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")


def _validate_microsoft_sign_in(settings: Settings) -> None:
    """Sign in with Microsoft builds its redirect URIs from PUBLIC_BASE_URL, never from the
    request's Host header, and reads the certificate at start so that a wrong path fails early.

    PUBLIC_BASE_URL is not required with MICROSOFT_CLIENT_ID: app-only use of Microsoft (Graph
    reads) needs no redirect URI, and sign-in and admin consent say that it is missing when they
    are asked for without it.
    """
    base = settings.public_base_url
    if (
        settings.microsoft_configured
        and base
        and not (base.startswith("https://") or is_local_http_url(base))
    ):
        raise SettingsError(
            "PUBLIC_BASE_URL must be an https:// URL for sign in with Microsoft "
            "(http only for localhost)"
        )
    path = settings.microsoft_client_certificate_path
    if path and not Path(path).is_file():
        raise SettingsError(f"MICROSOFT_CLIENT_CERTIFICATE_PATH names no file: {path}")
