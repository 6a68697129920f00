"""A Microsoft Graph user as the SCIM User resource Entra's provisioning service would send.

Entra's default attribute mappings for users (reference/entra-provisioning.md §3), with the
object id as `externalId`, where Entra's default is mailNickname: the pull recognises its users
by object id, and matches Entra's by `userName` (see `scim_server.provisioning.matching`).

| SCIM attribute | Graph property |
|---|---|
| userName | userPrincipalName |
| externalId | id (the object id) |
| active | accountEnabled |
| displayName | displayName |
| name.givenName, name.familyName | givenName, surname |
| emails[type eq "work"] (primary) | mail, else userPrincipalName |
| title | jobTitle |
| enterprise department, employeeNumber | department, employeeId |
| enterprise manager | manager, as the SCIM id of the manager's stored user (absent if none) |

Nothing here reads a database or talks to Microsoft: the caller resolves the manager.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from graph.directory import GraphUser

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def scim_user_from_graph(user: GraphUser, manager_scim_id: str | None) -> dict[str, Any]:
    """The SCIM User body (RFC 7643 §4.1, §4.3) for a Graph user whose manager, if any and if
    stored, has the SCIM id `manager_scim_id`. Null values are left out, as Entra does."""
    enterprise = _without_nulls(
        {
            "department": user.department,
            "employeeNumber": user.employee_id,
            "manager": {"value": manager_scim_id} if manager_scim_id else None,
        }
    )
    body: dict[str, Any] = {
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "userName": user.user_principal_name,
        "externalId": user.id,
        "active": user.account_enabled,
        "displayName": user.display_name,
        "name": _without_nulls({"givenName": user.given_name, "familyName": user.surname}),
        "emails": [
            {"value": user.mail or user.user_principal_name, "type": "work", "primary": True}
        ],
        "title": user.job_title,
        ENTERPRISE_USER: enterprise,
    }
    return {key: value for key, value in body.items() if value not in (None, {})}


def updated_scim_user(
    current: Mapping[str, Any], user: GraphUser, manager_scim_id: str | None
) -> dict[str, Any]:
    """The stored resource `current` with what the directory says laid over it, for a replace.

    Attributes the pull does not read (phone numbers, addresses, custom extensions, Entra's
    app roles) stay as their client sent them; those it reads follow the directory, cleared
    when the directory has no value. An externalId already set (Entra's mailNickname) is kept,
    so that the client that set it still finds its user.
    """
    pulled = scim_user_from_graph(user, manager_scim_id)
    merged = copy.deepcopy(dict(current))
    merged.pop("id", None)
    merged.pop("meta", None)
    for key in ("userName", "active", "displayName", "emails", "title"):
        _replace(merged, key, pulled.get(key))
    if not merged.get("externalId"):
        merged["externalId"] = user.id
    merged["name"] = {
        **{k: v for k, v in merged.get("name", {}).items() if k not in ("givenName", "familyName")},
        **pulled.get("name", {}),
    }
    enterprise = {
        k: v
        for k, v in merged.get(ENTERPRISE_USER, {}).items()
        if k not in ("department", "employeeNumber", "manager")
    }
    merged[ENTERPRISE_USER] = {**enterprise, **pulled.get(ENTERPRISE_USER, {})}
    schemas = list(merged.get("schemas", [CORE_USER]))
    merged["schemas"] = schemas if ENTERPRISE_USER in schemas else [*schemas, ENTERPRISE_USER]
    return merged


def _replace(resource: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        resource.pop(key, None)
    else:
        resource[key] = value


def _without_nulls(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
