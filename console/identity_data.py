"""What the Identity & Provisioning page shows, section by section, read through the features'
own functions: the organisation (sign-in methods, connection), the provisioning tokens
(`kinabase.provisioning_tokens`), group rules and the colleague field mapping (the provisioning
service, `scim_server.provisioning`)."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy.orm import Session

from kinabase.organisations import Organisation
from kinabase.provisioning_tokens import list_tokens
from kinabase.roles import list_roles
from kinabase.users import UserType
from kinabase_m365.settings import Settings
from scim_server.provisioning.field_preview import carried_attribute_paths, previewable_users
from scim_server.provisioning.rules import colleague_field_sources, rules

SCIM_PATH = "/scim/v2"
METHODS = {"password": "Email and password", "microsoft": "Microsoft 365"}
USER_TYPES = {
    UserType.USER.value: "User",
    UserType.BILLING_ADMINISTRATOR.value: "Billing Administrator",
    UserType.ADMINISTRATOR.value: "Administrator",
}


def tenant_url(settings: Settings) -> str:
    """The SCIM base URL to paste into Entra's Tenant URL: PUBLIC_BASE_URL's, else the address
    this page was reached at."""
    base = settings.public_base_url or request.host_url
    return base.rstrip("/") + SCIM_PATH


def sign_in_context(organisation: Organisation) -> dict[str, Any]:
    """The allowed sign-in methods, Microsoft 365 first."""
    allowed = {
        "microsoft": organisation.microsoft_sign_in,
        "password": organisation.password_sign_in,
    }
    return {
        "methods": [
            {"method": method, "label": METHODS[method], "allowed": allowed[method]}
            for method in ("microsoft", "password")
        ]
    }


def scim_context(
    session: Session, organisation: Organisation, settings: Settings
) -> dict[str, Any]:
    """The Tenant URL and the organisation's live provisioning tokens (revoked ones are gone
    from the page)."""
    tokens = [token for token in list_tokens(session, organisation.id) if token.revoked_at is None]
    return {"tenant_url": tenant_url(settings), "tokens": tokens}


def rules_context(session: Session, organisation: Organisation) -> dict[str, Any]:
    """Group rules, and the roles and user types a new rule may give."""
    roles = [role.name for role in list_roles(session, organisation.id)]
    return {
        "rules": rules(session, organisation.id),
        "roles": roles,
        "role_options": [(name, name) for name in roles],
        "user_types": USER_TYPES,
        "user_type_options": list(USER_TYPES.items()),
    }


def mapping_context(session: Session, organisation: Organisation) -> dict[str, Any]:
    """Each Colleague field with its source, the attribute paths stored users carry, and the
    users a source can be previewed with."""
    field_sources = colleague_field_sources(session, organisation.id)
    return {
        "field_sources": field_sources,
        "field_options": [(entry.field.key, entry.field.name) for entry in field_sources],
        "attribute_paths": carried_attribute_paths(session, organisation.id),
        "user_options": [
            (user.id, user.user_name) for user in previewable_users(session, organisation.id)
        ],
    }
