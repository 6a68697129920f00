"""What the mapping reads from provisioned SCIM resources (RFC 7643 §4.1, §4.2, §4.3).

The store keeps each resource exactly as the client sent it; the HTTP layer turns the canonical
JSON into a `DirectoryUser` with `directory_user_from_resource`, handing in the protocol layer's
attribute-path reader so that colleague field sources may name any attribute, custom extensions
included.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MANAGER_PATH = f"{ENTERPRISE_USER}:manager"
DEPARTMENT_PATH = f"{ENTERPRISE_USER}:department"

# Good enough to tell an address from a bare account name; the mail system checks the rest.
_EMAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class DirectoryUser:
    """A provisioned SCIM user, as the mapping needs it."""

    directory_id: str  # the SCIM resource id (stable; the link to the Kinabase user)
    user_name: str
    active: bool
    given_name: str | None
    family_name: str | None
    display_name: str | None
    email: str | None  # primary email, else the "work" one, else the first; None if none
    title: str | None
    photo_url: str | None
    manager_directory_id: str | None  # SCIM id of the manager (enterprise manager.value)
    value_at: Callable[[str], Any]  # any SCIM attribute path -> value or None

    @property
    def email_address(self) -> str | None:
        """The address the Kinabase user gets: the email, else userName if it is an address."""
        if self.email:
            return self.email
        return self.user_name if _EMAIL_ADDRESS.fullmatch(self.user_name) else None


@dataclass(frozen=True)
class DirectoryGroup:
    """A provisioned SCIM group, as group rules identify it (RFC 7643 §4.2)."""

    directory_id: str  # the SCIM resource id
    display_name: str
    external_id: str | None = None  # Entra sends the group's objectId here


def directory_user_from_resource(
    resource: Mapping[str, Any], value_at: Callable[[str], Any]
) -> DirectoryUser:
    """Read a User resource in canonical SCIM JSON (attribute names as RFC 7643 spells them).

    Multi-valued emails and photos yield the primary value, else the one of the preferred type
    ("work", "photo"), else the first (RFC 7643 §2.4). An absent `active` means active.
    """
    name = _complex(resource.get("name"))
    enterprise = _complex(resource.get(ENTERPRISE_USER))
    return DirectoryUser(
        directory_id=str(resource["id"]),
        user_name=str(resource["userName"]),
        active=_boolean(resource.get("active", True)),
        given_name=_text(name.get("givenName")),
        family_name=_text(name.get("familyName")),
        display_name=_text(resource.get("displayName")),
        email=_preferred_value(resource.get("emails"), "work"),
        title=_text(resource.get("title")),
        photo_url=_preferred_value(resource.get("photos"), "photo"),
        manager_directory_id=_reference(enterprise.get("manager")),
        value_at=value_at,
    )


def _complex(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    # Clients clear attributes with "" as well as null (Entra's SCIM validator sends both).
    return value if isinstance(value, str) and value.strip() else None


def _boolean(value: Any) -> bool:
    # Entra's legacy PATCH sends "True"/"False" strings; the protocol layer normally converts them.
    return value.strip().lower() == "true" if isinstance(value, str) else bool(value)


def _reference(value: Any) -> str | None:
    # The canonical form is {"value": id}; a bare string is what Entra sends in PATCH values.
    return _text(value.get("value") if isinstance(value, Mapping) else value)


def _preferred_value(values: Any, preferred_type: str) -> str | None:
    entries = [
        entry
        for entry in (values if isinstance(values, list) else [])
        if isinstance(entry, Mapping) and _text(entry.get("value"))
    ]
    primary = [entry for entry in entries if _boolean(entry.get("primary", False))]
    typed = [entry for entry in entries if entry.get("type") == preferred_type]
    chosen = primary or typed or entries
    return _text(chosen[0].get("value")) if chosen else None
