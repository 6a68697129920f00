"""What the mapping reads from provisioned SCIM resources (RFC 7643 §4.1, §4.2, §4.3).

The store keeps each resource exactly as the client sent it; the provisioning service turns the
canonical JSON into a `DirectoryUser` with `directory_user_from_resource`. Every value is read by
the protocol layer's attribute-path reader, the one the colleague field mapping uses too, so a
field source may name any attribute, filtered paths and custom extensions included.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scim_server.mapping.app_roles import app_role_values
from scim_server.protocol.attribute_lookup import value_at
from scim_server.protocol.discovery import load_registry

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
    app_roles: frozenset[str]  # the values of `roles`, casefolded (Entra app roles)
    value_at: Callable[[str], Any]  # any SCIM attribute path -> value or None

    @property
    def email_address(self) -> str | None:
        """The address the Kinabase user gets: the email, else userName if it is an address."""
        if self.email:
            return self.email
        return self.user_name if _EMAIL_ADDRESS.fullmatch(self.user_name) else None

    @property
    def pending_reason(self) -> str | None:
        """Why the user cannot be projected onto Kinabase yet, or None if it can be."""
        return missing_email(self.user_name) if self.email_address is None else None


def missing_email(user_name: str) -> str:
    """Why a directory user without an email address is pending."""
    return (
        f"no email address, and the userName {user_name!r} is not one: "
        "a Kinabase user needs an email address"
    )


@dataclass(frozen=True)
class DirectoryGroup:
    """A provisioned SCIM group, as group rules identify it (RFC 7643 §4.2)."""

    directory_id: str  # the SCIM resource id
    display_name: str
    external_id: str | None = None  # Entra sends the group's objectId here


def directory_user_from_resource(resource: Mapping[str, Any]) -> DirectoryUser:
    """Read a stored User resource (RFC 7643 §4.1, §4.3) through the protocol's path reader.

    Every attribute, here and in the colleague field mapping, is read by the same schema-aware
    reader (`scim_server.protocol.attribute_lookup.value_at`), so a source that works for one
    works for the other. Multi-valued emails and photos yield the primary value, else the one of
    the preferred type ("work", "photo"), else the first (RFC 7643 §2.4); values that are empty
    count as absent. An absent `active` means active.
    """
    schema = load_registry().user
    read = functools.partial(value_at, resource, schema)
    return DirectoryUser(
        directory_id=str(read("id")),
        user_name=str(read("userName")),
        active=_boolean(_absent_is(True, read("active"))),
        given_name=_text(read("name.givenName")),
        family_name=_text(read("name.familyName")),
        display_name=_text(read("displayName")),
        email=_preferred(read, "emails", "work"),
        title=_text(read("title")),
        photo_url=_preferred(read, "photos", "photo"),
        manager_directory_id=_reference(read(MANAGER_PATH)),
        app_roles=app_role_values(read("roles")),
        value_at=read,
    )


def _preferred(read: Callable[[str], Any], attribute: str, preferred_type: str) -> str | None:
    for path in (
        f"{attribute}[primary eq true and value pr].value",
        f'{attribute}[type eq "{preferred_type}" and value pr].value',
        f"{attribute}[value pr].value",
    ):
        value = _text(read(path))
        if value is not None:
            return value
    return None


def _absent_is(default: Any, value: Any) -> Any:
    return default if value is None else value


def _text(value: Any) -> str | None:
    # Clients clear attributes with "" as well as null (Entra's SCIM validator sends both).
    return value if isinstance(value, str) and value.strip() else None


def _boolean(value: Any) -> bool:
    # Entra's legacy PATCH sends "True"/"False" strings; the protocol layer normally converts them.
    return value.strip().lower() == "true" if isinstance(value, str) else bool(value)


def _reference(value: Any) -> str | None:
    # The canonical form is {"value": id}; a bare string is what Entra sends in PATCH values.
    return _text(value.get("value") if isinstance(value, Mapping) else value)
