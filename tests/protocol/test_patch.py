"""PATCH rules the golden samples do not show on their own (RFC 7644 §3.5.2)."""

from __future__ import annotations

from typing import Any

import pytest

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.errors import InvalidPath, Mutability
from scim_server.protocol.patch import PatchResult, apply_patch
from scim_server.protocol.patch_request import parse_patch_request
from scim_server.protocol.registry import ResourceSchema
from scim_server.protocol.schema import Schema

USER = load_registry().user
GROUP = load_registry().group


def patch(resource: dict[str, Any], schema: ResourceSchema, *operations: Any) -> PatchResult:
    request = parse_patch_request({"Operations": list(operations)}, schema)
    return apply_patch(resource, request, schema)


def test_primary_set_through_a_value_path_clears_the_others() -> None:
    resource = {
        "userName": "u",
        "emails": [
            {"type": "work", "value": "w@x.org", "primary": True},
            {"type": "home", "value": "h@x.org"},
        ],
    }
    result = patch(
        resource, USER, {"op": "replace", "path": 'emails[type eq "home"].primary', "value": True}
    )
    assert result.resource["emails"] == [
        {"type": "work", "value": "w@x.org", "primary": False},
        {"type": "home", "value": "h@x.org", "primary": True},
    ]


def test_replace_selected_member_swaps_ids() -> None:
    result = patch(
        {"displayName": "G"},
        GROUP,
        {"op": "replace", "path": 'members[value eq "old"]', "value": [{"value": "new"}]},
    )
    assert (set(result.members.remove), set(result.members.add)) == ({"old"}, {"new"})
    assert result.referenced_ids == {"new"}


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "add", "path": 'members[value eq "x"]', "value": [{"value": "y"}]},
        {"op": "replace", "path": 'members[value eq "x"].value', "value": "y"},
        {"op": "remove", "path": 'members[value ne "x"]'},
    ],
)
def test_member_operations_that_would_need_the_member_list(operation: Any) -> None:
    with pytest.raises(InvalidPath):
        patch({"displayName": "G"}, GROUP, operation)


def test_member_display_is_read_only() -> None:
    with pytest.raises(Mutability):
        patch(
            {"displayName": "G"},
            GROUP,
            {"op": "replace", "path": 'members[value eq "x"].display', "value": "y"},
        )


def test_immutable_attributes_take_a_first_value_only() -> None:
    # No attribute of the served schemas is immutable at the top level; the rule comes from the
    # schema document, so a resource type with one shows it.
    core = Schema.from_document(
        {
            "id": "urn:example:params:scim:schemas:core:2.0:Badge",
            "name": "Badge",
            "attributes": [
                {"name": "serial", "type": "string", "mutability": "immutable"},
                {"name": "label", "type": "string", "required": True},
            ],
        },
        in_extension=False,
    )
    badge = ResourceSchema("Badge", "/Badges", core, (), USER.common)
    first = patch({"label": "b"}, badge, {"op": "add", "path": "serial", "value": "S1"})
    assert first.resource == {"label": "b", "serial": "S1"}
    same = patch(first.resource, badge, {"op": "replace", "path": "serial", "value": "S1"})
    assert not same.changed
    with pytest.raises(Mutability):
        patch(first.resource, badge, {"op": "replace", "path": "serial", "value": "S2"})
    with pytest.raises(Mutability):
        patch(first.resource, badge, {"op": "remove", "path": "serial"})


def test_path_less_keys_may_name_extensions() -> None:
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    result = patch(
        {"userName": "u"},
        USER,
        {"op": "add", "value": {enterprise: {"department": "Sales", "manager": "m1"}}},
    )
    assert result.resource[enterprise] == {"department": "Sales", "manager": {"value": "m1"}}
    assert result.referenced_ids == {"m1"}


def test_unchanged_manager_is_not_reported_again() -> None:
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    resource = {"userName": "u", enterprise: {"manager": {"value": "m1"}}}
    result = patch(resource, USER, {"op": "replace", "path": "manager", "value": "m1"})
    assert not result.changed and result.referenced_ids == frozenset()
