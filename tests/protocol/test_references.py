"""The manager is stored apart from the resource and returned as {"value": id}."""

from __future__ import annotations

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.references import (
    attach_manager,
    detach_manager,
    manager_attribute,
    member_attribute,
)

USER = load_registry().user
GROUP = load_registry().group
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def test_reference_attributes_come_from_the_schemas() -> None:
    manager = manager_attribute(USER)
    members = member_attribute(GROUP)
    assert manager is not None and (manager.schema, manager.name) == (ENTERPRISE, "manager")
    assert members is not None and members.name == "members"
    assert manager_attribute(GROUP) is None
    assert member_attribute(USER) is None, "User groups is readOnly: not a writable reference"


def test_detach_and_attach_round_trip() -> None:
    resource = {"userName": "u", ENTERPRISE: {"department": "Sales", "manager": {"value": "m1"}}}
    stored, manager_id = detach_manager(resource, USER)
    assert stored == {"userName": "u", ENTERPRISE: {"department": "Sales"}}
    assert manager_id == "m1"
    assert attach_manager(stored, USER, manager_id) == resource
    assert resource[ENTERPRISE]["manager"] == {"value": "m1"}, "the input is not modified"


def test_a_lone_manager_leaves_no_empty_extension() -> None:
    stored, manager_id = detach_manager(
        {"userName": "u", ENTERPRISE: {"manager": {"value": "m"}}}, USER
    )
    assert stored == {"userName": "u"} and manager_id == "m"
    assert attach_manager(stored, USER, None) == {"userName": "u"}
    assert attach_manager(stored, USER, "m2")[ENTERPRISE] == {"manager": {"value": "m2"}}
