"""A whole Entra ID provisioning lifecycle, as Microsoft documents it, checked on both sides.

Every request body is one Entra sends (reference/entra-provisioning.md §1.2), in the default
"legacy" PATCH shapes and in the RFC-compliant shapes of the `aadOptscim062020` flag. After each
step the test checks the SCIM answer and what Kinabase now holds: user status, seats, roles,
Colleague fields and the manager link.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine

from kinabase.users import UserStatus, UserType
from kinabase_m365.cli import main as cli
from tests.conftest import Provisioned
from tests.kinabase_view import KinabaseView
from tests.scim_client import ENTERPRISE, GROUP_SCHEMA, LIST_RESPONSE, ScimClient, entra_user

ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


@dataclass(frozen=True)
class Shapes:
    """How one Entra PATCH behaviour writes each change."""

    name: str
    set_active: Callable[[bool], list[dict[str, Any]]]
    replace_attributes: Callable[[dict[str, Any]], list[dict[str, Any]]]
    remove_members: Callable[[list[str]], list[dict[str, Any]]]


LEGACY = Shapes(
    name="legacy",
    set_active=lambda on: [{"op": "Replace", "path": "active", "value": str(on)}],
    replace_attributes=lambda values: [
        {"op": "Replace", "path": path, "value": value} for path, value in values.items()
    ],
    remove_members=lambda ids: [
        {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": i} for i in ids]}
    ],
)
COMPLIANT = Shapes(
    name="aadOptscim062020",
    set_active=lambda on: [{"op": "replace", "path": "active", "value": on}],
    replace_attributes=lambda values: [{"op": "replace", "value": values}],
    remove_members=lambda ids: [{"op": "remove", "path": f'members[value eq "{i}"]'} for i in ids],
)


def created(scim: ScimClient, body: dict[str, Any], endpoint: str = "/Users") -> dict[str, Any]:
    response = scim.post(endpoint, body)
    assert response.status_code == 201, response.json
    assert response.headers["Location"].endswith(f"{endpoint}/{response.json['id']}")
    assert response.headers["ETag"].startswith('W/"')
    assert response.content_type.startswith("application/scim+json")
    resource: dict[str, Any] = response.json
    return resource


def test_connection_query_finds_nothing(acme: Provisioned) -> None:
    response = acme.scim.filter("/Users", f'userName eq "{uuid.uuid4()}"')
    assert response.status_code == 200
    assert response.json["schemas"] == [LIST_RESPONSE]
    assert response.json["totalResults"] == 0
    assert response.json["Resources"] == []
    assert response.json["startIndex"] == 1

    groups = acme.scim.filter(
        "/Groups", f'displayName eq "{uuid.uuid4()}"', "&excludedAttributes=members"
    )
    assert groups.status_code == 200 and groups.json["totalResults"] == 0


@pytest.mark.parametrize("shapes", [LEGACY, COMPLIANT], ids=lambda s: s.name)
def test_full_lifecycle(acme: Provisioned, engine: Engine, shapes: Shapes, cli_env: str) -> None:
    scim, kb = acme.scim, KinabaseView(engine, acme.org_id)

    # Create users (the POST never carries the manager: it comes in a second pass).
    boss = created(scim, entra_user("grace@acme.test", "Grace", "Hopper", "ghopper"))
    ada_body = entra_user("ada@acme.test", "Ada", "Lovelace", "alovelace")
    ada_body["title"] = "Analyst"
    ada_body[ENTERPRISE] = {"department": "Engines", "employeeNumber": "1815"}
    ada = created(scim, ada_body)
    assert ada["active"] is True and ada["title"] == "Analyst"
    assert kb.seats_in_use() == 2
    seen = kb.user("ada@acme.test")
    assert seen is not None and seen.status is UserStatus.ACTIVE
    assert (seen.first_name, seen.last_name, seen.job_title) == ("Ada", "Lovelace", "Analyst")
    assert seen.colleague["jobTitle"] == "Analyst"
    assert seen.colleague["department"] == "Engines"

    # Match by userName (any case) and by externalId.
    by_name = scim.filter("/Users", 'userName eq "ADA@acme.test"')
    assert [r["id"] for r in by_name.json["Resources"]] == [ada["id"]]
    by_external = scim.filter("/Users", 'externalId eq "alovelace"')
    assert [r["id"] for r in by_external.json["Resources"]] == [ada["id"]]
    assert scim.get(f"/Users/{ada['id']}").json["userName"] == "ada@acme.test"

    # Update title, then set the manager as a plain string (what Entra sends).
    response = scim.patch(f"/Users/{ada['id']}", shapes.replace_attributes({"title": "Engineer"}))
    assert response.status_code in (200, 204)
    response = scim.patch(
        f"/Users/{ada['id']}",
        [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": boss["id"]}],
    )
    assert response.status_code in (200, 204)
    fetched = scim.get(f"/Users/{ada['id']}").json
    assert fetched["title"] == "Engineer"
    assert fetched[ENTERPRISE]["manager"]["value"] == boss["id"]
    seen = kb.user("ada@acme.test")
    assert seen is not None
    assert seen.colleague["jobTitle"] == "Engineer" and seen.job_title == "Engineer"
    assert seen.manager_email == "grace@acme.test"

    # Entra asks whether the reference already matches.
    check = scim.filter(
        "/Users", f'id eq "{ada["id"]}" and manager eq "{boss["id"]}"', "&attributes=id"
    )
    assert check.json["totalResults"] == 1

    # Disable: the user stays visible to GET and filters; the seat is freed.
    assert scim.patch(f"/Users/{ada['id']}", shapes.set_active(False)).status_code in (200, 204)
    assert scim.get(f"/Users/{ada['id']}").json["active"] is False
    assert scim.filter("/Users", 'userName eq "ada@acme.test"').json["totalResults"] == 1
    seen = kb.user("ada@acme.test")
    assert seen is not None and seen.status is UserStatus.DEACTIVATED
    assert kb.seats_in_use() == 1

    # Re-enable.
    assert scim.patch(f"/Users/{ada['id']}", shapes.set_active(True)).status_code in (200, 204)
    assert scim.get(f"/Users/{ada['id']}").json["active"] is True
    assert kb.seats_in_use() == 2

    # A group whose members get the Sales role and the Administrator user type.
    assert cli(["role", "add", "--org", str(acme.org_id), "--name", "Sales"]) == 0
    assert (
        cli(
            [
                "rule",
                "add",
                "--org",
                str(acme.org_id),
                "--group",
                "Sales",
                "--role",
                "Sales",
                "--user-type",
                "administrator",
            ]
        )
        == 0
    )
    group = created(
        scim,
        {
            "schemas": [GROUP_SCHEMA, ADSCIM_GROUP],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Sales",
            "meta": {"resourceType": "Group"},
        },
        "/Groups",
    )
    found = scim.filter("/Groups", 'displayName eq "Sales"', "&excludedAttributes=members")
    assert [g["id"] for g in found.json["Resources"]] == [group["id"]]
    assert "members" not in found.json["Resources"][0]

    # Add members in batches, as Entra does; adding twice changes nothing.
    for batch in ([ada["id"]], [boss["id"], ada["id"]]):
        response = scim.patch(
            f"/Groups/{group['id']}",
            [
                {
                    "op": "Add",
                    "path": "members",
                    "value": [{"$ref": None, "value": member} for member in batch],
                }
            ],
        )
        assert response.status_code == 204, response.json
    members = scim.get(f"/Groups/{group['id']}").json["members"]
    assert sorted(m["value"] for m in members) == sorted([ada["id"], boss["id"]])
    for email in ("ada@acme.test", "grace@acme.test"):
        seen = kb.user(email)
        assert seen is not None
        assert seen.roles == ("Sales",) and seen.user_type is UserType.ADMINISTRATOR

    # Remove one member: only that one loses what the rule gave.
    response = scim.patch(f"/Groups/{group['id']}", shapes.remove_members([ada["id"]]))
    assert response.status_code == 204
    members = scim.get(f"/Groups/{group['id']}").json["members"]
    assert [m["value"] for m in members] == [boss["id"]]
    seen = kb.user("ada@acme.test")
    assert seen is not None and seen.roles == () and seen.user_type is UserType.USER
    seen = kb.user("grace@acme.test")
    assert seen is not None and seen.roles == ("Sales",)

    # Remove the manager the way Microsoft's validator does.
    response = scim.patch(
        f"/Users/{ada['id']}",
        [{"op": "replace", "path": f"{ENTERPRISE}:manager", "value": ""}],
    )
    assert response.status_code in (200, 204)
    manager = scim.get(f"/Users/{ada['id']}").json.get(ENTERPRISE, {}).get("manager")
    assert manager in (None, "", {}) or manager.get("value") in (None, "")
    seen = kb.user("ada@acme.test")
    assert seen is not None and seen.manager_email is None

    # Hard delete: the SCIM resource is gone; the Kinabase user is deactivated, not lost.
    assert scim.delete(f"/Users/{boss['id']}").status_code == 204
    assert scim.get(f"/Users/{boss['id']}").status_code == 404
    assert scim.get(f"/Groups/{group['id']}").json.get("members", []) == []
    seen = kb.user("grace@acme.test")
    assert seen is not None and seen.status is UserStatus.DEACTIVATED and seen.roles == ()
    assert seen.colleague["email"] == "grace@acme.test"
    assert kb.seats_in_use() == 1

    assert scim.delete(f"/Groups/{group['id']}").status_code == 204
    assert scim.get(f"/Groups/{group['id']}").status_code == 404
