"""The OAuth 2.0 token endpoint for provisioning clients: the client credentials grant
(RFC 6749 §4.4), at POST /scim/oauth/token.

A client registered with `kinabase-m365 client create` authenticates with its id and secret,
either in HTTP Basic (`client_secret_basic`, §2.3.1: each form-urlencoded, then Basic) or as the
form parameters `client_id` and `client_secret` (`client_secret_post`) — never both, and never in
the URL. The body is `application/x-www-form-urlencoded` with `grant_type=client_credentials`.
The answer is a bearer access token (`scim_server.resources.access_tokens`) valid for
OAUTH_ACCESS_TOKEN_SECONDS, with no refresh token (§4.4.3): the client asks again.

Errors are RFC 6749 §5.2 JSON: `invalid_request` (400), `invalid_client` (401 with a
`WWW-Authenticate: Basic` challenge), `unsupported_grant_type` (400); and 429 with `Retry-After`
when a client id asks too often (OAUTH_TOKEN_RATE_LIMIT). A `scope` is accepted and ignored
(§3.3 allows it): the token grants SCIM access to the client's organisation, and says so with
`"scope": "scim"` when one was asked for. Every answer carries `Cache-Control: no-store` (§5.1).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

from flask import Blueprint, Response, jsonify, request

from kinabase.provisioning_clients import authenticate_client, record_client_use
from kinabase_m365.database import db_session
from kinabase_m365.request_log import note_organisation
from kinabase_m365.runtime import current_settings
from scim_server.resources.access_tokens import issue_access_token, signing_key
from scim_server.resources.rate_limits import check_token_request

TOKEN_PATH = "/scim/oauth/token"  # noqa: S105 - a URL path, not a secret
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
GRANT_TYPE = "client_credentials"
BASIC_CHALLENGE = 'Basic realm="kinabase-m365 token endpoint"'
PARAMETERS = ("grant_type", "client_id", "client_secret", "scope")

blueprint = Blueprint("scim_oauth", __name__)


class OAuthError(Exception):
    """An error response of the token endpoint (RFC 6749 §5.2)."""

    def __init__(
        self, error: str, description: str, status: int = 400, retry_after: int | None = None
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.retry_after = retry_after


def _answer(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers.update(headers or {})
    return response


@blueprint.errorhandler(OAuthError)
def render_oauth_error(error: OAuthError) -> Response:
    """`{"error": …, "error_description": …}` with the status RFC 6749 §5.2 gives it."""
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = BASIC_CHALLENGE
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    body = {"error": error.error, "error_description": error.description}
    return _answer(body, error.status, headers)


def _form_parameter(name: str) -> str | None:
    values = request.form.getlist(name)
    if len(values) > 1:
        raise OAuthError("invalid_request", f"{name} is given more than once")
    return values[0] if values else None


def _basic_credentials(authorization: str) -> tuple[str, str]:
    """client_secret_basic (RFC 6749 §2.3.1): base64 of `id:secret`, each form-urlencoded."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError("invalid_client", "client authentication must use HTTP Basic", 401)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "the Basic credentials are malformed", 401) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError("invalid_client", "the Basic credentials are malformed", 401)
    return unquote_plus(client_id), unquote_plus(secret)


def _client_credentials() -> tuple[str, str]:
    """The client id and secret, from exactly one of Basic and the form (RFC 6749 §2.3)."""
    authorization = request.headers.get("Authorization")
    form_id, form_secret = _form_parameter("client_id"), _form_parameter("client_secret")
    if authorization is not None:
        if form_secret is not None:
            raise OAuthError(
                "invalid_request", "use one client authentication method, not Basic and the form"
            )
        client_id, secret = _basic_credentials(authorization)
        if form_id is not None and form_id != client_id:
            raise OAuthError("invalid_request", "client_id differs from the Basic credentials")
        return client_id, secret
    if not form_id or form_secret is None:
        raise OAuthError(
            "invalid_client",
            "client authentication is required (HTTP Basic, or client_id and client_secret)",
            401,
        )
    return form_id, form_secret


def _check_request_shape() -> None:
    if (request.mimetype or "").lower() != FORM_MEDIA_TYPE:
        raise OAuthError("invalid_request", f"the request body must be {FORM_MEDIA_TYPE}")
    if any(name in request.args for name in PARAMETERS):
        raise OAuthError("invalid_request", "parameters belong in the request body, not the URL")
    grant_type = _form_parameter("grant_type")
    if grant_type is None:
        raise OAuthError("invalid_request", "grant_type is required")
    if grant_type != GRANT_TYPE:
        raise OAuthError(
            "unsupported_grant_type", f"only grant_type={GRANT_TYPE} is supported here"
        )


@blueprint.post(TOKEN_PATH)
def token() -> Response:
    """Issue an access token to an authenticated client (RFC 6749 §4.4.2, §4.4.3, §5.1)."""
    _check_request_shape()
    scope = _form_parameter("scope")
    client_id, secret = _client_credentials()
    retry_after = check_token_request(client_id)
    if retry_after is not None:
        raise OAuthError(
            "temporarily_unavailable",
            f"too many token requests for this client; try again in {retry_after} s",
            429,
            retry_after,
        )
    session = db_session()
    client = authenticate_client(session, client_id, secret)
    if client is None:
        raise OAuthError("invalid_client", "unknown client, wrong secret or revoked client", 401)
    note_organisation(client.org_id, f"client:{client.client_id}")
    record_client_use(session, client)
    settings = current_settings()
    access_token = issue_access_token(
        signing_key(settings.secret_key),
        client_row_id=client.id,
        client_id=client.client_id,
        org_id=client.org_id,
        lifetime_seconds=settings.oauth_access_token_seconds,
    )
    session.commit()
    body: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": settings.oauth_access_token_seconds,
    }
    if scope is not None:
        body["scope"] = "scim"
    return _answer(body, 200)
