"""Helpers for mapping tests: SCIM users as Entra sends them, read by the production reader."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation
from kinabase.organisations import Organisation
from scim_server.mapping import ENTERPRISE_USER, DirectoryUser, directory_user_from_resource

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def user_resource(
    directory_id: str,
    email: str | None,
    *,
    given: str = "Ada",
    family: str = "Lovelace",
    active: bool = True,
    title: str | None = None,
    manager: str | None = None,
    department: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A canonical User resource shaped like Entra's POST (reference/entra-provisioning.md §1.2)."""
    resource: dict[str, Any] = {
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "id": directory_id,
        "userName": email or f"{directory_id}-no-address",
        "active": active,
        "displayName": f"{given} {family}",
        "name": {"givenName": given, "familyName": family, "formatted": f"{given} {family}"},
        "emails": [{"primary": True, "type": "work", "value": email}] if email else [],
        "title": title,
        ENTERPRISE_USER: {
            "department": department,
            "manager": {"value": manager} if manager else None,
        },
    }
    resource.update(extra)
    return resource


def directory_user(directory_id: str, email: str | None, **kwargs: Any) -> DirectoryUser:
    """The DirectoryUser the provisioning service reads from `user_resource(...)`."""
    resource = user_resource(directory_id, email, **kwargs)
    return directory_user_from_resource(resource)


@pytest.fixture
def acme(session: Session) -> Organisation:
    """An organisation with five licence seats."""
    return create_organisation(session, "Acme", licence_seats=5)
