"""Where every attribute of the SCIM User, Group and enterprise User schemas lands in Kinabase.

One entry per attribute of RFC 7643 §4.1 (User), §4.2 (Group) and §4.3 (enterprise User), plus
the common attributes of §3.1, with sub-attributes where they map separately. An attribute is
either mapped (its Kinabase target named) or explicitly not mapped, with the reason. The store
keeps every attribute as sent whatever this table says, and any User attribute, custom extensions
included, can fill a Colleague field through the colleague field mapping (field_mapping.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from scim_server.mapping.directory import ENTERPRISE_USER

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"

_COLLEAGUE_SOURCE = "not projected onto the user; available as a colleague field mapping source"
_PROFILE_ONLY = "Kinabase users have no such setting; " + _COLLEAGUE_SOURCE


@dataclass(frozen=True)
class AttributeCoverage:
    """What happens to one SCIM attribute: its Kinabase target, or None and why not."""

    schema: str
    attribute: str  # sub-attributes dotted, as in RFC 7644 §3.10 paths: name.givenName
    target: str | None
    note: str


def _mapped(schema: str, attribute: str, target: str, note: str = "") -> AttributeCoverage:
    return AttributeCoverage(schema, attribute, target, note)


def _not_mapped(schema: str, attribute: str, reason: str) -> AttributeCoverage:
    return AttributeCoverage(schema, attribute, None, reason)


COVERAGE: tuple[AttributeCoverage, ...] = (
    # RFC 7643 §3.1 common attributes, §4.1 User
    _mapped(USER, "id", "directory_user_links.directory_id", "the link to the Kinabase user"),
    _mapped(
        USER,
        "externalId",
        "users.entra_object_id",
        "when a GUID (objectId mapped to it): the key sign in with Microsoft links on",
    ),
    _not_mapped(USER, "meta", "resource metadata, kept by the store"),
    _mapped(
        USER,
        "userName",
        "users.user_principal_name",
        "the UPN sign in with Microsoft links on; users.email when no email is given",
    ),
    _not_mapped(USER, "name.formatted", "Kinabase composes the name from first and last name"),
    _mapped(USER, "name.familyName", "users.last_name"),
    _mapped(USER, "name.givenName", "users.first_name"),
    _not_mapped(USER, "name.middleName", "Kinabase names have first and last name only"),
    _not_mapped(USER, "name.honorificPrefix", _COLLEAGUE_SOURCE),
    _not_mapped(USER, "name.honorificSuffix", _COLLEAGUE_SOURCE),
    _mapped(USER, "displayName", "users.display_name", "and the Colleague record's name"),
    _not_mapped(USER, "nickName", _COLLEAGUE_SOURCE),
    _not_mapped(USER, "profileUrl", _COLLEAGUE_SOURCE),
    _mapped(USER, "title", "users.job_title", "and the Colleague Job Title field by default"),
    _not_mapped(
        USER,
        "userType",
        "an organisation's label (Employee…); Kinabase user types come from group rules",
    ),
    _not_mapped(USER, "preferredLanguage", _PROFILE_ONLY),
    _not_mapped(USER, "locale", _PROFILE_ONLY),
    _not_mapped(USER, "timezone", _PROFILE_ONLY),
    _mapped(USER, "active", "users.status", "active takes a licence seat, inactive frees it"),
    _not_mapped(USER, "password", "directory users sign in with Microsoft; never stored"),
    _mapped(USER, "emails", "users.email", "the primary, else the work one, else the first"),
    _not_mapped(USER, "phoneNumbers", _COLLEAGUE_SOURCE),
    _not_mapped(USER, "ims", _COLLEAGUE_SOURCE),
    _mapped(USER, "photos", "users.photo_url", "the primary, else the photo one, else the first"),
    _not_mapped(USER, "addresses", _COLLEAGUE_SOURCE),
    _not_mapped(USER, "groups", "read-only; membership arrives through Group members"),
    _not_mapped(USER, "entitlements", "Kinabase has no entitlements; access comes from roles"),
    _not_mapped(USER, "roles", "Kinabase roles come from group rules, not from the client"),
    _not_mapped(USER, "x509Certificates", "Kinabase does not use client certificates"),
    # RFC 7643 §3.1, §4.2 Group
    _mapped(GROUP, "id", "group_rules.group_directory_id", "binds the rules that name it"),
    _mapped(GROUP, "externalId", "group_rules.group_external_id", "Entra's objectId; pinned"),
    _not_mapped(GROUP, "meta", "resource metadata, kept by the store"),
    _mapped(GROUP, "displayName", "group_rules.group_display_name", "names rules' groups"),
    _mapped(GROUP, "members", "role_grants, user_type_grants", "through the group's rules"),
    # RFC 7643 §4.3 enterprise User
    _not_mapped(ENTERPRISE_USER, "employeeNumber", _COLLEAGUE_SOURCE),
    _not_mapped(ENTERPRISE_USER, "costCenter", _COLLEAGUE_SOURCE),
    _not_mapped(ENTERPRISE_USER, "organization", _COLLEAGUE_SOURCE),
    _not_mapped(ENTERPRISE_USER, "division", _COLLEAGUE_SOURCE),
    _mapped(ENTERPRISE_USER, "department", "Colleague Department field", "by default"),
    _mapped(
        ENTERPRISE_USER,
        "manager.value",
        "Colleague Manager field",
        "a link to the manager's Colleague record, by default",
    ),
    _not_mapped(ENTERPRISE_USER, "manager.$ref", "the value identifies the manager"),
    _not_mapped(
        ENTERPRISE_USER,
        "manager.displayName",
        "read-only; the manager's own record shows their name",
    ),
)
