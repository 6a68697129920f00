"""Okta's runtime requests (OKTA-REF, entra-provisioning.md §4), checked on both sides.

Okta creates users with a password, `groups: []`, `locale` and its own externalId; deactivates
with a path-less replace and never DELETEs users; updates profiles with PUT; renames groups with a
path-less replace that repeats the group's `id`; moves members with a valuePath remove and an add
in one PATCH, or replaces them all; and lists groups with `startIndex=1&count=100`.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine

from kinabase.users import UserStatus
from kinabase_m365.cli import main as cli
from tests.conftest import Provisioned
from tests.kinabase_view import KinabaseView
from tests.scim_client import GROUP_SCHEMA, USER_SCHEMA, ScimClient

pytestmark = pytest.mark.conformance


def okta_user(login: str, given: str, family: str) -> dict[str, Any]:
    """A user as Okta POSTs it (Okta's SCIM 2.0 reference, "Create the User")."""
    return {
        "schemas": [USER_SCHEMA],
        "userName": login,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": login, "type": "work"}],
        "displayName": f"{given} {family}",
        "locale": "en-US",
        "externalId": "00u" + uuid.uuid5(uuid.NAMESPACE_DNS, login).hex[:17],
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }


def _create(scim: ScimClient, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    response = scim.post(endpoint, body)
    assert response.status_code == 201, response.json
    resource: dict[str, Any] = response.json
    return resource


def _members(scim: ScimClient, group_id: str) -> list[str]:
    return sorted(m["value"] for m in scim.get(f"/Groups/{group_id}").json.get("members", []))


def test_user_lifecycle(acme: Provisioned, engine: Engine) -> None:
    scim, kb = acme.scim, KinabaseView(engine, acme.org_id)
    created = _create(scim, "/Users", okta_user("test.user@okta.test", "Test", "User"))
    assert "password" not in created and "groups" not in created
    assert created["locale"] == "en-US"
    assert kb.seats_in_use() == 1

    # Okta reads the user back by userName before deciding to create it.
    found = scim.filter("/Users", 'userName eq "test.user@okta.test"')
    assert [r["id"] for r in found.json["Resources"]] == [created["id"]]

    # Profile update: a PUT of the whole user, with Okta's empty middleName and read-only noise.
    put = {
        **okta_user("test.user@okta.test", "Another", "User"),
        "id": created["id"],
        "name": {"givenName": "Another", "middleName": "", "familyName": "User"},
        "meta": {"resourceType": "User", "created": "2019-01-01T00:00:00Z"},
    }
    response = scim.put(f"/Users/{created['id']}", put)
    assert response.status_code == 200, response.json
    assert response.json["name"]["givenName"] == "Another"
    seen = kb.user("test.user@okta.test")
    assert seen is not None and seen.first_name == "Another"

    # Deactivate: a path-less replace (Okta never DELETEs a user).
    response = scim.patch(
        f"/Users/{created['id']}", [{"op": "replace", "value": {"active": False}}]
    )
    assert response.status_code in (200, 204)
    assert scim.get(f"/Users/{created['id']}").json["active"] is False
    seen = kb.user("test.user@okta.test")
    assert seen is not None and seen.status is UserStatus.DEACTIVATED
    assert kb.seats_in_use() == 0

    # Reactivate the same way.
    response = scim.patch(f"/Users/{created['id']}", [{"op": "replace", "value": {"active": True}}])
    assert response.status_code in (200, 204)
    seen = kb.user("test.user@okta.test")
    assert seen is not None and seen.status is UserStatus.ACTIVE
    assert kb.seats_in_use() == 1


def test_group_push(acme: Provisioned, engine: Engine, cli_env: str) -> None:
    scim, kb = acme.scim, KinabaseView(engine, acme.org_id)
    assert cli(["role", "add", "--org", str(acme.org_id), "--name", "Sales"]) == 0
    rule = ["rule", "add", "--org", str(acme.org_id), "--group", "Sales EMEA", "--role", "Sales"]
    assert cli(rule) == 0
    ids = [
        _create(scim, "/Users", okta_user(f"{name}@okta.test", name.title(), "Okta"))["id"]
        for name in ("ann", "bob", "cyd")
    ]
    ann, bob, cyd = ids
    group = _create(
        scim, "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Test SCIMv2", "members": []}
    )
    gid = group["id"]

    # Rename: a path-less replace that repeats the group's own id, which is ignored.
    response = scim.patch(
        f"/Groups/{gid}", [{"op": "replace", "value": {"id": gid, "displayName": "Sales EMEA"}}]
    )
    assert response.status_code in (200, 204)
    assert scim.get(f"/Groups/{gid}").json["displayName"] == "Sales EMEA"

    # Add members with Okta's display names.
    response = scim.patch(
        f"/Groups/{gid}",
        [
            {
                "op": "add",
                "path": "members",
                "value": [{"value": ann, "display": "ann@okta.test"}, {"value": bob}],
            }
        ],
    )
    assert response.status_code in (200, 204)
    assert _members(scim, gid) == sorted([ann, bob])
    for email in ("ann@okta.test", "bob@okta.test"):
        seen = kb.user(email)
        assert seen is not None and seen.roles == ("Sales",)

    # One PATCH: remove a member by valuePath, add another.
    response = scim.patch(
        f"/Groups/{gid}",
        [
            {"op": "remove", "path": f'members[value eq "{ann}"]'},
            {"op": "add", "path": "members", "value": [{"value": cyd, "display": "cyd"}]},
        ],
    )
    assert response.status_code in (200, 204)
    assert _members(scim, gid) == sorted([bob, cyd])
    seen = kb.user("ann@okta.test")
    assert seen is not None and seen.roles == ()

    # Full-membership replace.
    response = scim.patch(
        f"/Groups/{gid}", [{"op": "replace", "path": "members", "value": [{"value": ann}]}]
    )
    assert response.status_code in (200, 204)
    assert _members(scim, gid) == [ann]
    roles = {email: kb.user(email) for email in ("ann@okta.test", "bob@okta.test")}
    assert roles["ann@okta.test"] is not None and roles["ann@okta.test"].roles == ("Sales",)
    assert roles["bob@okta.test"] is not None and roles["bob@okta.test"].roles == ()


def test_group_list_pages_are_numbers_in_a_stable_order(acme: Provisioned) -> None:
    for index in range(5):
        _create(acme.scim, "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": f"G{index}"})
    pages = [acme.scim.get("/Groups?startIndex=1&count=100").json for _ in range(2)]
    for page in pages:
        for key in ("totalResults", "startIndex", "itemsPerPage"):
            assert type(page[key]) is int, key
        assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 1, 5)
    assert [g["id"] for g in pages[0]["Resources"]] == [g["id"] for g in pages[1]["Resources"]]
    second = acme.scim.get("/Groups?startIndex=3&count=2").json
    assert [g["id"] for g in second["Resources"]] == [g["id"] for g in pages[0]["Resources"][2:4]]
