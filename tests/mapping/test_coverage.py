"""Every attribute of RFC 7643's User, Group and enterprise User schemas has a coverage entry."""

from __future__ import annotations

from scim_server.mapping.coverage import COVERAGE, GROUP, USER
from scim_server.mapping.directory import ENTERPRISE_USER

# Typed from RFC 7643: §3.1 (common), §4.1.1 and §4.1.2 (User), §4.2 (Group), §4.3 (enterprise).
# Complex attributes whose sub-attributes map differently are listed by sub-attribute.
RFC7643_ATTRIBUTES = {
    USER: [
        "id", "externalId", "meta", "userName",
        "name.formatted", "name.familyName", "name.givenName", "name.middleName",
        "name.honorificPrefix", "name.honorificSuffix",
        "displayName", "nickName", "profileUrl", "title", "userType", "preferredLanguage",
        "locale", "timezone", "active", "password",
        "emails", "phoneNumbers", "ims", "photos", "addresses", "groups", "entitlements",
        "roles", "x509Certificates",
    ],
    GROUP: ["id", "externalId", "meta", "displayName", "members"],
    ENTERPRISE_USER: [
        "employeeNumber", "costCenter", "organization", "division", "department",
        "manager.value", "manager.$ref", "manager.displayName",
    ],
}  # fmt: skip


def test_every_rfc7643_attribute_is_mapped_or_explicitly_not() -> None:
    covered = {(entry.schema, entry.attribute) for entry in COVERAGE}
    expected = {(schema, name) for schema, names in RFC7643_ATTRIBUTES.items() for name in names}

    assert sorted(expected - covered) == []
    assert sorted(covered - expected) == []
    assert len(covered) == len(COVERAGE)  # no attribute twice


def test_each_entry_names_a_target_or_a_reason() -> None:
    for entry in COVERAGE:
        assert entry.target or entry.note, entry
