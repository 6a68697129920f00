"""PUT replaces a resource (RFC 7644 §3.5.1)."""

from __future__ import annotations

import pytest

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.errors import Mutability
from scim_server.protocol.registry import ResourceSchema
from scim_server.protocol.resource import parse_replacement, resource_schemas
from scim_server.protocol.schema import Schema

USER = load_registry().user
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def test_omitted_attributes_are_unassigned_and_read_only_ones_ignored() -> None:
    current = {"userName": "bjensen", "title": "Tour Guide", "nickName": "Babs"}
    parsed = parse_replacement(
        {"userName": "bjensen", "title": "Chief", "id": "other", "meta": {"version": 'W/"9"'}},
        USER,
        current,
    )
    assert parsed.resource == {"userName": "bjensen", "title": "Chief"}


def test_immutable_values_must_not_change() -> None:
    core = Schema.from_document(
        {
            "id": "urn:example:params:scim:schemas:core:2.0:Badge",
            "name": "Badge",
            "attributes": [{"name": "serial", "type": "string", "mutability": "immutable"}],
        },
        in_extension=False,
    )
    badge = ResourceSchema("Badge", "/Badges", core, (), USER.common)
    assert parse_replacement({"serial": "S1"}, badge, {"serial": "S1"}).resource == {"serial": "S1"}
    assert parse_replacement({"serial": "S1"}, badge, {}).resource == {"serial": "S1"}
    with pytest.raises(Mutability):
        parse_replacement({"serial": "S2"}, badge, {"serial": "S1"})


def test_response_schemas_list_the_extensions_present() -> None:
    custom = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"
    resource = {"userName": "u", ENTERPRISE: {"department": "Sales"}, custom: {"costCenter": "1"}}
    assert resource_schemas(resource, USER) == [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        ENTERPRISE,
        custom,
    ]
    assert resource_schemas({"userName": "u"}, USER) == [
        "urn:ietf:params:scim:schemas:core:2.0:User"
    ]
