"""What Entra's authorization endpoints answer: errors worded as Entra words them (AADSTS
codes), and the delivery of a response to the client's redirect URI (query or form_post)."""

from __future__ import annotations

import html
import re
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from flask import Response, jsonify, request

from tests.emulators.cloud import DirectoryUser
from tests.emulators.entra_tokens import TokenError


def token_error(error: TokenError) -> tuple[Response, int]:
    """An error of the token endpoint as Entra sends it (RFC 6749 §5.2 plus AADSTS codes)."""
    code = re.match(r"AADSTS(\d+)", error.description)
    body = {
        "error": error.error,
        "error_description": error.description,
        "error_codes": [int(code.group(1))] if code else [],
        "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }
    return jsonify(body), error.status


def sign_in_error(args: Any, user: DirectoryUser, tid: str | None) -> dict[str, str] | None:
    """Why Entra would not sign this user in for this request, if it would not."""
    if not user.account_enabled:
        return _error("access_denied", "AADSTS50057: The user account is disabled.")
    if tid is not None and tid != user.tenant_id:
        return _error(
            "access_denied",
            f"AADSTS50020: User account '{user.user_principal_name}' from identity provider "
            f"does not exist in tenant '{tid}' and cannot access the application.",
        )
    if args.get("response_type", "code") != "code" and "adminconsent" not in request.path:
        return _error("unsupported_response_type", "AADSTS70005: Unsupported response type.")
    challenge_method = args.get("code_challenge_method")
    if args.get("code_challenge") and challenge_method != "S256":
        return _error("invalid_request", "AADSTS501491: Invalid code_challenge_method.")
    return None


def consent_error(args: Any, user: DirectoryUser) -> dict[str, str] | None:
    """Why the admin consent would not be granted (declined, not an admin, bad scope)."""
    if args.get("decline"):
        return _error("access_denied", "AADSTS65004: User declined to consent to access the app.")
    if not user.is_admin:
        return _error(
            "access_denied", "AADSTS90094: The grant requires admin permission to be given."
        )
    if not all(scope.endswith("/.default") for scope in args.get("scope", "").split()):
        return _error("invalid_request", "AADSTS70011: The provided scope is not valid.")
    return None


def _error(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}


def deliver(redirect_uri: str, response_mode: str, params: dict[str, Any]) -> Response:
    """Send the authorization response to the client (query redirect or form_post page)."""
    present = {name: value for name, value in params.items() if value is not None}
    if response_mode != "form_post":
        response = Response(status=302)
        response.headers["Location"] = f"{redirect_uri}?{urlencode(present)}"
        return response
    fields = "".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(str(value))}"/>'
        for name, value in present.items()
    )
    page = (
        '<html><body onload="document.forms[0].submit()">'
        f'<form method="POST" action="{html.escape(redirect_uri)}">{fields}</form></body></html>'
    )
    return Response(page, 200, mimetype="text/html")
