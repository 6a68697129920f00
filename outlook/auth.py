"""Who calls the add-in API: the bearer token → the organisation bound to its tenant → the user
with its object id, who must be active.

No cookies are read, so there is no CSRF to guard against: a browser never sends a bearer token
on its own (RFC 6750 §5). The token's secret is never logged; the request log notes the
organisation only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request
from sqlalchemy.orm import Session

from graph.connection import http_session
from kinabase.organisations import find_organisation_by_tenant
from kinabase.users import User, UserStatus, find_user_by_entra_object_id
from kinabase_m365.database import db_session
from kinabase_m365.request_log import note_organisation
from kinabase_m365.runtime import current_settings
from outlook.errors import AccessDenied, MicrosoftUnreachable, TokenRefused
from outlook.tokens import TenantKeys, audiences, unverified_tenant, verify_access_token

KEYS_KEY = "outlook.tenant_keys"
View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Caller:
    """The organisation and user an API request acts for."""

    org_id: int
    user: User


def tenant_keys() -> TenantKeys:
    """The app's cache of tenants' signing keys (made on first use)."""
    keys: TenantKeys | None = current_app.extensions.get(KEYS_KEY)
    if keys is None:
        keys = TenantKeys(current_settings().microsoft_authority_host)
        current_app.extensions[KEYS_KEY] = keys
    return keys


def bearer_token() -> str:
    """The request's bearer token (RFC 6750 §2.1), or TokenRefused."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRefused("Sign in to use Kinabase in Outlook.")
    return token.strip()


def authenticate(session: Session) -> Caller:
    """The caller of this request, or TokenRefused / AccessDenied saying why not."""
    settings = current_settings()
    if not settings.microsoft_client_id:
        raise MicrosoftUnreachable("Sign in with Microsoft is not configured on this service.")
    token = bearer_token()
    organisation = find_organisation_by_tenant(session, unverified_tenant(token))
    if organisation is None or organisation.entra_tenant_id is None:
        raise AccessDenied(
            "Your Microsoft 365 organisation is not connected to Kinabase. An Administrator "
            "connects it in Settings → Identity & Provisioning."
        )
    identity = verify_access_token(
        token,
        tenant_id=organisation.entra_tenant_id,
        accepted_audiences=audiences(
            settings.microsoft_client_id, settings.outlook_api_identifier_uri
        ),
        keys=tenant_keys(),
        http=http_session(),
    )
    note_organisation(organisation.id)
    user = find_user_by_entra_object_id(session, organisation.id, identity.object_id)
    if user is None:
        raise AccessDenied(
            "Kinabase does not know your Microsoft account yet. Sign in to Kinabase with "
            "Microsoft once, or ask an Administrator to add you."
        )
    if user.status is UserStatus.DEACTIVATED:
        raise AccessDenied("Your Kinabase account is deactivated.")
    if user.status is not UserStatus.ACTIVE:
        raise AccessDenied("Your Kinabase account is not active yet. Accept your invitation first.")
    return Caller(org_id=organisation.id, user=user)


def bearer_required(view: View) -> View:
    """Authenticate the request before the view runs; the view reads `caller()`."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.outlook_caller = authenticate(db_session())
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def caller() -> Caller:
    """The authenticated caller of this request."""
    found: Caller = g.outlook_caller
    return found
