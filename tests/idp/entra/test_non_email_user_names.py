"""An Entra ID provisioning run for users whose userName is not an email address and who have none.

Entra's default mapping sends `userName` ← `userPrincipalName` and `emails[type eq "work"].value`
← `mail` (entra-provisioning.md §3), but administrators remap userName to `mailNickname` or the
on-premises sAMAccountName (`jdoe`), or to the `objectId` (a GUID, the matching value Entra itself
uses at Test Connection), and `mail` is empty for accounts without a mailbox: Entra then leaves
`emails` out. RFC 7643 §4.1.1 requires only userName, so each request below is one Entra sends
(§1.2), in the legacy and the `aadOptscim062020` PATCH shapes, and must work as for any user.

Kinabase accounts are keyed by email address: such a user has no Kinabase account and takes no
seat until Entra sends a `mail`; then the account appears with what the directory already says
(the groups' roles, the manager link).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine

from kinabase.users import UserStatus
from kinabase_m365.cli import main as cli
from tests.conftest import Provisioned
from tests.idp.entra.test_lifecycle import ADSCIM_GROUP, COMPLIANT, LEGACY, Shapes, created
from tests.kinabase_view import KinabaseView
from tests.scim_client import ENTERPRISE, GROUP_SCHEMA, ScimClient, entra_user

pytestmark = pytest.mark.conformance

ACCOUNT_NAMES = {
    "sAMAccountName": "jdoe",
    "objectId": str(uuid.uuid5(uuid.NAMESPACE_DNS, "jdoe.acme.test")),
}


def entra_user_without_email(user_name: str, given: str, family: str) -> dict[str, Any]:
    """Entra's create body when userName is not an address and `mail` is empty."""
    body = entra_user(user_name, given, family, external_id=user_name)
    del body["emails"]
    return body


def _found(scim: ScimClient, expression: str) -> list[str]:
    response = scim.filter("/Users", expression)
    assert response.status_code == 200, response.json
    return [r["id"] for r in response.json["Resources"]]


def _members(scim: ScimClient, group_id: str) -> list[str]:
    return sorted(m["value"] for m in scim.get(f"/Groups/{group_id}").json.get("members", []))


@pytest.mark.parametrize("shapes", [LEGACY, COMPLIANT], ids=lambda s: s.name)
@pytest.mark.parametrize("user_name", ACCOUNT_NAMES.values(), ids=ACCOUNT_NAMES.keys())
def test_lifecycle(
    acme: Provisioned, engine: Engine, cli_env: str, shapes: Shapes, user_name: str
) -> None:
    scim, kb = acme.scim, KinabaseView(engine, acme.org_id)
    assert cli(["role", "add", "--org", str(acme.org_id), "--name", "Sales"]) == 0
    rule = ["rule", "add", "--org", str(acme.org_id), "--group", "Sales", "--role", "Sales"]
    assert cli(rule) == 0
    ada = created(scim, entra_user("ada@acme.test", "Ada", "Lovelace", "alovelace"))

    # Match, then create: 201 with the values as sent, and no emails.
    assert _found(scim, f'userName eq "{user_name}"') == []
    jane = created(scim, entra_user_without_email(user_name, "Jane", "Doe"))
    assert (jane["userName"], jane["active"]) == (user_name, True)
    assert "emails" not in jane
    assert scim.get(f"/Users/{jane['id']}").json["userName"] == user_name
    assert _found(scim, f'userName eq "{user_name.upper()}"') == [jane["id"]]
    assert _found(scim, f'externalId eq "{user_name}"') == [jane["id"]]
    assert kb.emails() == ["ada@acme.test"] and kb.seats_in_use() == 1

    # Attribute updates, and the manager links both ways.
    response = scim.patch(
        f"/Users/{jane['id']}",
        shapes.replace_attributes({"title": "Analyst", "name.givenName": "Janet"}),
    )
    assert response.status_code in (200, 204), response.json
    manager_path = f"{ENTERPRISE}:manager"
    for report, manager in ((jane, ada), (ada, jane)):
        response = scim.patch(
            f"/Users/{report['id']}", [{"op": "Add", "path": manager_path, "value": manager["id"]}]
        )
        assert response.status_code in (200, 204), response.json
    fetched = scim.get(f"/Users/{jane['id']}").json
    assert (fetched["title"], fetched["name"]["givenName"]) == ("Analyst", "Janet")
    assert fetched[ENTERPRISE]["manager"]["value"] == ada["id"]
    check = scim.filter(
        "/Users", f'id eq "{ada["id"]}" and manager eq "{jane["id"]}"', "&attributes=id"
    )
    assert check.json["totalResults"] == 1

    # Disable and re-enable: visible throughout.
    for active in (False, True):
        response = scim.patch(f"/Users/{jane['id']}", shapes.set_active(active))
        assert response.status_code in (200, 204), response.json
        assert scim.get(f"/Users/{jane['id']}").json["active"] is active
        assert _found(scim, f'userName eq "{user_name}"') == [jane["id"]]

    # Group membership, in Entra's batches; removal in the shape's form.
    group = created(
        scim,
        {
            "schemas": [GROUP_SCHEMA, ADSCIM_GROUP],
            "externalId": str(uuid.uuid4()),
            "displayName": "Sales",
            "meta": {"resourceType": "Group"},
        },
        "/Groups",
    )
    for batch in ([jane["id"]], [ada["id"], jane["id"]]):
        members = [{"$ref": None, "value": member} for member in batch]
        response = scim.patch(
            f"/Groups/{group['id']}", [{"op": "Add", "path": "members", "value": members}]
        )
        assert response.status_code == 204, response.json
    assert _members(scim, group["id"]) == sorted([ada["id"], jane["id"]])
    response = scim.patch(f"/Groups/{group['id']}", shapes.remove_members([ada["id"]]))
    assert response.status_code == 204, response.json
    assert _members(scim, group["id"]) == [jane["id"]]
    assert kb.emails() == ["ada@acme.test"] and kb.seats_in_use() == 1
    seen = kb.user("ada@acme.test")
    assert seen is not None and seen.roles == () and seen.manager_email is None

    # `mail` gets a value: the Kinabase account appears with what the directory already says.
    add = "Add" if shapes is LEGACY else "add"
    response = scim.patch(
        f"/Users/{jane['id']}",
        [{"op": add, "path": 'emails[type eq "work"].value', "value": "jane.doe@acme.test"}],
    )
    assert response.status_code in (200, 204), response.json
    assert scim.get(f"/Users/{jane['id']}").json["userName"] == user_name
    assert kb.emails() == ["ada@acme.test", "jane.doe@acme.test"]
    assert kb.seats_in_use() == 2
    seen = kb.user("jane.doe@acme.test")
    assert seen is not None and seen.status is UserStatus.ACTIVE
    assert (seen.first_name, seen.last_name, seen.job_title) == ("Janet", "Doe", "Analyst")
    assert seen.roles == ("Sales",), "the member's group rule applies once they have an account"
    assert seen.manager_email == "ada@acme.test"
    seen = kb.user("ada@acme.test")
    assert seen is not None and seen.manager_email == "jane.doe@acme.test"

    # Hard delete: gone from SCIM and from the group; the account is deactivated, not lost.
    assert scim.delete(f"/Users/{jane['id']}").status_code == 204
    assert scim.get(f"/Users/{jane['id']}").status_code == 404
    assert _found(scim, f'userName eq "{user_name}"') == []
    assert _members(scim, group["id"]) == []
    seen = kb.user("jane.doe@acme.test")
    assert seen is not None and seen.status is UserStatus.DEACTIVATED and seen.roles == ()
    assert kb.seats_in_use() == 1


@pytest.mark.parametrize("user_name", ACCOUNT_NAMES.values(), ids=ACCOUNT_NAMES.keys())
def test_deleted_before_any_address(acme: Provisioned, engine: Engine, user_name: str) -> None:
    """A user who never had an address is deleted without a trace on the Kinabase side."""
    scim, kb = acme.scim, KinabaseView(engine, acme.org_id)
    jane = created(scim, entra_user_without_email(user_name, "Jane", "Doe"))
    group = created(scim, {"schemas": [GROUP_SCHEMA], "displayName": "Everyone"}, "/Groups")
    response = scim.patch(
        f"/Groups/{group['id']}",
        [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": jane["id"]}]}],
    )
    assert response.status_code == 204, response.json

    assert scim.delete(f"/Users/{jane['id']}").status_code == 204
    assert scim.get(f"/Users/{jane['id']}").status_code == 404
    assert _members(scim, group["id"]) == []
    assert kb.emails() == [] and kb.seats_in_use() == 0
    # The same account name can be provisioned again.
    again = created(scim, entra_user_without_email(user_name, "Jane", "Doe"))
    assert again["id"] != jane["id"]
