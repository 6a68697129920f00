"""Where Microsoft may send the browser back to, and where the service sends it after sign-in.

Redirect URIs form a strict allow-list: exactly the callback paths below under PUBLIC_BASE_URL,
the same strings the administrator registers in Entra. They are never built from the request's
Host header, which a client controls (RFC 6749 §10.6, §10.15; Microsoft identity platform,
"Redirect URI (reply URL) restrictions"). The page a user lands on after signing in (`next`) must
be a path on this service, so a sign-in link cannot send anyone elsewhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response
from werkzeug.urls import iri_to_uri

from kinabase_m365.settings import Settings
from sso.errors import PUBLIC_BASE_URL_MISSING, NotConfigured

SIGN_IN_CALLBACK_PATH = "/auth/microsoft/callback"
ADMIN_CONSENT_CALLBACK_PATH = "/auth/microsoft/admin-consent"
CALLBACK_PATHS = (SIGN_IN_CALLBACK_PATH, ADMIN_CONSENT_CALLBACK_PATH)
DEFAULT_LANDING = "/account"
# Organisation → Identity & Provisioning, an admin console page (`console`), linked by its path.
IDENTITY_PAGE = "/admin/identity"


def allowed_redirect_uris(settings: Settings) -> tuple[str, ...]:
    """The redirect URIs to register in Entra (Web platform), and the only ones ever sent."""
    base = settings.public_base_url.rstrip("/")
    return tuple(f"{base}{path}" for path in CALLBACK_PATHS) if base else ()


def redirect_uri(settings: Settings, path: str) -> str:
    """The allowed redirect URI for a callback path, or NotConfigured."""
    if not settings.public_base_url:
        raise NotConfigured(PUBLIC_BASE_URL_MISSING)
    allowed = allowed_redirect_uris(settings)
    uri = f"{settings.public_base_url.rstrip('/')}{path}"
    if uri not in allowed:
        raise NotConfigured
    return uri


def is_allowed_redirect_uri(settings: Settings, uri: object) -> bool:
    """Whether a redirect URI found in stored flow state is one of the allowed ones."""
    return isinstance(uri, str) and uri in allowed_redirect_uris(settings)


def same_origin(settings: Settings, origin: str | None, request_url: str) -> bool:
    """Whether a request's `Origin` header is this service's (or absent, as from old clients).

    The service's origin is PUBLIC_BASE_URL's; without it, the origin of the URL the request
    was sent to (`request_url`). A cross-site form cannot choose that one: the browser sends
    the attacker's page's origin with it, whatever host it posts to.
    """
    if origin is None:
        return True
    base = urlsplit(settings.public_base_url or request_url)
    expected = f"{base.scheme}://{base.netloc}".lower()
    return bool(base.netloc) and origin.rstrip("/").lower() == expected


def local_path(candidate: str | None) -> str:
    """`candidate` if it is a path on this service, else the default landing page."""
    if not candidate:
        return DEFAULT_LANDING
    parts = urlsplit(candidate)
    if (
        parts.scheme
        or parts.netloc
        or not candidate.startswith("/")
        or candidate.startswith("//")
        or "\\" in candidate
        or any(ord(character) < 32 for character in candidate)
    ):
        return DEFAULT_LANDING
    return candidate


def see_other(location: str) -> Response:
    """A 303 redirect: after a POST, the browser GETs `location` (RFC 9110 §15.4.4)."""
    return Response(status=303, headers={"Location": iri_to_uri(location)})
