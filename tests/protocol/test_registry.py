"""Attribute names and paths (RFC 7643 §2.1, §3.3; RFC 7644 §3.10)."""

from __future__ import annotations

import pytest

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.registry import ENTERPRISE_USER

CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userName", "userName"),
        ("USERNAME", "userName"),
        ("name.familyName", "name.familyName"),
        ("Name.FamilyName", "name.familyName"),
        ("urn:ietf:params:scim:schemas:core:2.0:User:userName", "userName"),
        ("emails.value", "emails.value"),
        ("meta.lastModified", "meta.lastModified"),
        ("id", "id"),
        (f"{ENTERPRISE_USER}:manager.value", f"{ENTERPRISE_USER}:manager.value"),
        (f"{ENTERPRISE_USER.upper()}:DEPARTMENT", f"{ENTERPRISE_USER}:department"),
        ("manager", f"{ENTERPRISE_USER}:manager"),
        ("department", f"{ENTERPRISE_USER}:department"),
        ("employeeNumber", f"{ENTERPRISE_USER}:employeeNumber"),
        (f"{CUSTOM}:costCenter", f"{CUSTOM}:costCenter"),
    ],
)
def test_user_paths_resolve(text: str, expected: str) -> None:
    path = load_registry().user.resolve_text(text)
    assert path is not None
    assert str(path) == expected


@pytest.mark.parametrize(
    "text",
    [
        "favouriteColour",
        "name.nickname",
        "urn:ietf:params:scim:schemas:core:2.0:Group:displayName.x",
        "urn:example:unrelated:thing",
        f"{ENTERPRISE_USER}:shoeSize",
        "title.value",
    ],
)
def test_unknown_paths_do_not_resolve(text: str) -> None:
    assert load_registry().user.resolve_text(text) is None


def test_custom_extension_attributes_are_schemaless_strings() -> None:
    path = load_registry().user.resolve_text(f"{CUSTOM}:costCenter")
    assert path is not None
    attribute = path.attribute
    assert attribute.custom and attribute.in_extension
    assert attribute.type.value == "string" and not attribute.multi_valued


def test_group_paths_do_not_see_user_extensions() -> None:
    group = load_registry().group
    assert group.resolve_text("department") is None
    assert group.resolve_text(f"{CUSTOM}:costCenter") is None
    assert str(group.resolve_text("members.value")) == "members.value"


def test_enterprise_urn_typo_is_an_alias() -> None:
    user = load_registry().user
    typo = "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"
    assert user.canonical_urn(typo) == ENTERPRISE_USER
    assert user.split(ENTERPRISE_USER).name is None, "a bare extension URN names the extension"
    assert user.is_extension_urn(CUSTOM)
    assert not user.is_extension_urn("urn:ietf:params:scim:schemas:core:2.0:User")
