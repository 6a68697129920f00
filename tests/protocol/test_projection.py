"""attributes and excludedAttributes (RFC 7644 §3.4.2.5, §3.9; RFC 7643 §7 "returned")."""

from __future__ import annotations

from typing import Any

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.projection import parse_projection

USER = load_registry().user
GROUP = load_registry().group
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"
RESOURCE: dict[str, Any] = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
    "id": "2819c223",
    "userName": "bjensen",
    "password": "never shown",
    "name": {"familyName": "Jensen", "givenName": "Barbara"},
    "emails": [
        {"value": "b@example.com", "type": "work"},
        {"value": "b@jensen.org", "type": "home"},
    ],
    "meta": {"resourceType": "User", "version": 'W/"3"'},
    ENTERPRISE: {"department": "Tours", "manager": {"value": "m1"}},
    CUSTOM: {"costCenter": "CC-42"},
}


def project(attributes: str | None = None, excluded: str | None = None) -> dict[str, Any]:
    return parse_projection(attributes, excluded, USER).apply(RESOURCE, USER)


def test_default_returns_everything_but_never() -> None:
    expected = {k: v for k, v in RESOURCE.items() if k != "password"}
    assert project() == expected


def test_attributes_keep_always_and_listed() -> None:
    assert project("userName") == {
        "schemas": RESOURCE["schemas"],
        "id": "2819c223",
        "userName": "bjensen",
    }


def test_attributes_with_sub_attributes_and_extensions() -> None:
    assert project("name.givenName,emails.value,department") == {
        "schemas": RESOURCE["schemas"],
        "id": "2819c223",
        "name": {"givenName": "Barbara"},
        "emails": [{"value": "b@example.com"}, {"value": "b@jensen.org"}],
        ENTERPRISE: {"department": "Tours"},
    }


def test_attributes_name_a_whole_extension() -> None:
    projected = project(f"{ENTERPRISE},{CUSTOM}:costCenter")
    assert projected[ENTERPRISE] == RESOURCE[ENTERPRISE]
    assert projected[CUSTOM] == {"costCenter": "CC-42"}


def test_excluded_attributes() -> None:
    projected = project(excluded="emails,name.familyName,meta,manager")
    assert "emails" not in projected and "meta" not in projected
    assert projected["name"] == {"givenName": "Barbara"}
    assert projected[ENTERPRISE] == {"department": "Tours"}


def test_always_attributes_cannot_be_excluded() -> None:
    projected = project(excluded="id,schemas,userName")
    assert projected["id"] == "2819c223" and "schemas" in projected
    assert "userName" not in projected


def test_never_attributes_cannot_be_requested() -> None:
    assert "password" not in project("password")


def test_unknown_names_are_ignored() -> None:
    assert project("favouriteColour,userName")["userName"] == "bjensen"


def test_includes_tells_the_store_what_to_load() -> None:
    members = GROUP.attribute("members")
    assert parse_projection(None, None, GROUP).includes(members)
    assert not parse_projection(None, "members", GROUP).includes(members)
    assert not parse_projection("displayName", None, GROUP).includes(members)
    assert parse_projection("members.value", None, GROUP).includes(members)
    assert parse_projection(["id", "members"], None, GROUP).includes(members)
