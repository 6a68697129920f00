"""The attribute paths a stored User carries, as the field mapping's picker offers them."""

from __future__ import annotations

from scim_server.provisioning.field_preview import paths_of

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"


def test_core_complex_multi_valued_and_extension_attributes_become_paths() -> None:
    resource = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, CUSTOM],
        "id": "1",
        "meta": {"resourceType": "User"},
        "userName": "bob@example.test",
        "name": {"givenName": "Bob", "familyName": ""},
        "emails": [{"value": "bob@example.test", "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "+44 20 7946 0000", "type": "mobile"}],
        "title": "Engineer",
        "nickName": None,
        ENTERPRISE: {"department": "Research", "manager": {"value": "2"}, "costCenter": ""},
        CUSTOM: {"costCentre": "CC-42"},
    }

    paths = set(paths_of(resource))

    assert paths == {
        "userName",
        "name.givenName",
        'emails[type eq "work"].value',
        'phoneNumbers[type eq "mobile"].value',
        "title",
        f"{ENTERPRISE}:department",
        f"{ENTERPRISE}:manager",
        f"{CUSTOM}:costCentre",
    }
