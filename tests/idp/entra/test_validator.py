"""Microsoft's SCIM validator rules that the lifecycle test does not already cover.

Sources: Microsoft's validator (AzureAD/SCIMReferenceCode `SCIMTests_Workflow.json`: the
pagination, null-update and manager tests) and the compliance rules of Microsoft's SCIM guide,
as summarised in entra-provisioning.md §1.2, §2 and §5. Each test also checks what Kinabase holds
where the rule changes it.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from tests.conftest import Provisioned
from tests.kinabase_view import KinabaseView
from tests.scim_client import ENTERPRISE, GROUP_SCHEMA, LIST_RESPONSE, ScimClient, entra_user

pytestmark = pytest.mark.conformance

GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"

# Every optional attribute of Entra's default user mapping (entra-provisioning.md §3), with a
# value; the validator's null-update test empties each one (userName is required, active and
# manager have tests of their own).
MAPPED_VALUES = {
    "displayName": "Ada Lovelace",
    "title": "Analyst",
    'emails[type eq "work"].value': "ada.work@acme.test",
    "preferredLanguage": "en-GB",
    "name.givenName": "Ada",
    "name.familyName": "Lovelace",
    "name.formatted": "Ada Lovelace",
    'addresses[type eq "work"].formatted': "1 Engine Row, London",
    'addresses[type eq "work"].streetAddress': "1 Engine Row",
    'addresses[type eq "work"].locality': "London",
    'addresses[type eq "work"].region': "Greater London",
    'addresses[type eq "work"].postalCode': "NW1 1AA",
    'addresses[type eq "work"].country': "GB",
    'phoneNumbers[type eq "work"].value': "+44 20 7946 0000",
    'phoneNumbers[type eq "mobile"].value': "+44 7700 900000",
    'phoneNumbers[type eq "fax"].value': "+44 20 7946 0001",
    "externalId": "alovelace",
    f"{ENTERPRISE}:employeeNumber": "1815",
    f"{ENTERPRISE}:department": "Engines",
}


def value_at(resource: dict[str, Any], path: str) -> Any:
    """The value at one of the mapping's paths in a response (None when absent)."""
    if path.startswith(ENTERPRISE + ":"):
        return resource.get(ENTERPRISE, {}).get(path.removeprefix(ENTERPRISE + ":"))
    if "[" in path:
        attribute, rest = path.split("[", 1)
        wanted_type = rest.split('"')[1]
        sub = rest.split("].", 1)[1]
        items = [i for i in resource.get(attribute, []) if i.get("type") == wanted_type]
        return items[0].get(sub) if items else None
    if "." in path:
        parent, sub = path.split(".")
        return resource.get(parent, {}).get(sub)
    return resource.get(path)


def _populated(scim: ScimClient) -> dict[str, Any]:
    body = entra_user("ada@acme.test", "Ada", "Lovelace", "alovelace")
    created = scim.post("/Users", body)
    assert created.status_code == 201, created.json
    user: dict[str, Any] = created.json
    _replace_each(scim, user["id"], MAPPED_VALUES)
    return user


def _replace_each(scim: ScimClient, user_id: str, values: dict[str, Any]) -> None:
    operations = [{"op": "replace", "path": p, "value": v} for p, v in values.items()]
    response = scim.patch(f"/Users/{user_id}", operations)
    assert response.status_code in (200, 204), response.json


def _assert_all_set(scim: ScimClient, user_id: str) -> None:
    fetched = scim.get(f"/Users/{user_id}").json
    assert {p: value_at(fetched, p) for p in MAPPED_VALUES} == MAPPED_VALUES


def _assert_all_empty(scim: ScimClient, user_id: str) -> None:
    fetched = scim.get(f"/Users/{user_id}").json
    left = {
        p: value_at(fetched, p) for p in MAPPED_VALUES if value_at(fetched, p) not in (None, "")
    }
    assert left == {}


def test_pagination_count_5_returns_each_start_index(acme: Provisioned) -> None:
    """SCIM_User_Pagination_Test: at least 11 users, pages of 5; startIndex is page*5+1."""
    created = {
        acme.scim.post("/Users", entra_user(f"u{i:02}@acme.test", "U", f"{i}", f"u{i}")).json["id"]
        for i in range(12)
    }
    seen: list[str] = []
    for page in range(3):
        response = acme.scim.get(f"/Users?startIndex={page * 5 + 1}&count=5")
        assert response.status_code == 200
        body = response.json
        assert body["schemas"] == [LIST_RESPONSE]
        assert body["startIndex"] == page * 5 + 1
        assert body["totalResults"] == 12
        assert body["itemsPerPage"] == len(body["Resources"]) == (5 if page < 2 else 2)
        seen.extend(r["id"] for r in body["Resources"])
    assert sorted(seen) == sorted(created), "pages neither overlap nor miss anyone"
    beyond = acme.scim.get("/Users?startIndex=16&count=5").json
    assert (beyond["startIndex"], beyond["itemsPerPage"], beyond["Resources"]) == (16, 0, [])


@pytest.mark.parametrize("empty", ["", None], ids=["empty-strings", "nulls"])
def test_null_update_one_operation_per_attribute(
    acme: Provisioned, engine: Engine, empty: str | None
) -> None:
    """SCIM_Null_Update_Test, verbose PATCH: each mapped attribute replaced with "" then null."""
    user = _populated(acme.scim)
    _assert_all_set(acme.scim, user["id"])

    _replace_each(acme.scim, user["id"], dict.fromkeys(MAPPED_VALUES, empty))

    _assert_all_empty(acme.scim, user["id"])
    seen = KinabaseView(engine, acme.org_id).user("ada@acme.test")
    assert seen is not None, "the Kinabase email falls back to the userName"
    assert seen.job_title in (None, "") and seen.colleague.get("department") in (None, "")
    assert acme.scim.get(f"/Users/{user['id']}").json["userName"] == "ada@acme.test"


def test_null_update_path_less(acme: Provisioned) -> None:
    """Without verbose PATCH, the validator sends one path-less replace of all the attributes."""
    user = _populated(acme.scim)
    plain = {p: "" for p in MAPPED_VALUES if "[" not in p}
    response = acme.scim.patch(f"/Users/{user['id']}", [{"op": "replace", "value": plain}])
    assert response.status_code in (200, 204), response.json
    fetched = acme.scim.get(f"/Users/{user['id']}").json
    assert {p: value_at(fetched, p) for p in plain if value_at(fetched, p) not in (None, "")} == {}


def test_group_schema_is_in_schemas(acme: Provisioned) -> None:
    """Without the Group schema in /Schemas, every group test of the validator fails."""
    listed = acme.scim.get("/Schemas")
    assert listed.status_code == 200 and listed.json["schemas"] == [LIST_RESPONSE]
    [group] = [s for s in listed.json["Resources"] if s["id"] == GROUP_URN]
    assert {a["name"] for a in group["attributes"]} >= {"displayName", "members"}
    one = acme.scim.get(f"/Schemas/{GROUP_URN}")
    assert one.status_code == 200 and one.json["id"] == GROUP_URN


def test_attribute_names_are_case_insensitive_in_bodies_and_filters(acme: Provisioned) -> None:
    body = {
        "Schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "UserName": "Grace@acme.test",
        "ExternalID": "ghopper",
        "Active": "True",
        "Name": {"GivenName": "Grace", "FamilyName": "Hopper"},
        "Emails": [{"Value": "grace.work@acme.test", "Type": "work", "Primary": True}],
        ENTERPRISE.lower(): {"Department": "Compilers"},
    }
    created = acme.scim.post("/Users", body)
    assert created.status_code == 201, created.json
    user = created.json
    assert (user["userName"], user["externalId"], user["active"]) == (
        "Grace@acme.test",
        "ghopper",
        True,
    )
    assert user["name"] == {"givenName": "Grace", "familyName": "Hopper"}
    assert user["emails"] == [{"value": "grace.work@acme.test", "type": "work", "primary": True}]
    assert user[ENTERPRISE]["department"] == "Compilers"

    for expression in (
        'USERNAME eq "grace@ACME.test"',
        'externalid eq "ghopper"',
        'Name.FamilyName eq "Hopper"',
        'EMAILS[TYPE eq "work"].VALUE eq "grace.work@acme.test"',
        f'{ENTERPRISE.upper()}:DEPARTMENT eq "Compilers"',
    ):
        found = acme.scim.filter("/Users", expression)
        assert found.status_code == 200, (expression, found.json)
        assert [r["id"] for r in found.json["Resources"]] == [user["id"]], expression

    response = acme.scim.patch(
        f"/Users/{user['id']}", [{"op": "Replace", "path": "NAME.givenname", "value": "G."}]
    )
    assert response.status_code in (200, 204)
    assert acme.scim.get(f"/Users/{user['id']}").json["name"]["givenName"] == "G."


def test_plus_in_a_query_is_a_space(acme: Provisioned) -> None:
    """Entra encodes spaces as '+'; a plus in a value arrives as %2B and stays a plus."""
    body = entra_user("ada+scim@acme.test", "Ada", "Lovelace", "alovelace")
    user = acme.scim.post("/Users", body).json
    group = acme.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Sales Team"})

    by_name = acme.scim.get("/Users?filter=userName+eq+%22ada%2Bscim%40acme.test%22")
    assert [r["id"] for r in by_name.json["Resources"]] == [user["id"]]
    spaced = acme.scim.get(
        "/Groups?excludedAttributes=members&filter=displayName+eq+%22Sales+Team%22"
    )
    assert [g["id"] for g in spaced.json["Resources"]] == [group.json["id"]]
    assert (
        acme.scim.get("/Users?filter=userName+eq+%22ada+scim%40acme.test%22").json["totalResults"]
        == 0
    )


def test_member_add_and_remove_are_idempotent(acme: Provisioned, engine: Engine) -> None:
    scim = acme.scim
    ada = scim.post("/Users", entra_user("ada@acme.test", "Ada", "L", "a")).json["id"]
    bob = scim.post("/Users", entra_user("bob@acme.test", "Bob", "B", "b")).json["id"]
    gid = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Sales"}).json["id"]

    def members() -> list[str]:
        return sorted(m["value"] for m in scim.get(f"/Groups/{gid}").json.get("members", []))

    def patch(operations: list[dict[str, Any]]) -> str:
        response = scim.patch(f"/Groups/{gid}", operations)
        assert response.status_code == 204, response.json
        etag: str = response.headers["ETag"]
        return etag

    add_ada = [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": ada}]}]
    first = patch(add_ada)
    assert patch(add_ada) == first, "adding a member again changes nothing, not even the version"
    assert patch([{"op": "add", "path": "members", "value": [{"value": ada}, {"value": ada}]}])
    assert members() == [ada]

    # Removing a non-member, in both of Entra's shapes, changes nothing.
    unchanged = patch([{"op": "Remove", "path": "members", "value": [{"value": bob}]}])
    assert unchanged == first
    assert patch([{"op": "remove", "path": f'members[value eq "{bob}"]'}]) == first
    assert members() == [ada]

    # Removing twice: the second is a no-op.
    removed = patch([{"op": "remove", "path": f'members[value eq "{ada}"]'}])
    assert removed != first
    assert patch([{"op": "Remove", "path": "members", "value": [{"value": ada}]}]) == removed
    assert members() == []
    seen = KinabaseView(engine, acme.org_id).user("ada@acme.test")
    assert seen is not None and seen.roles == ()


def test_manager_is_returned_as_an_object_with_value(acme: Provisioned, engine: Engine) -> None:
    """Validator manager tests: set, change and remove; Entra cannot read a string manager."""
    scim, kb = acme.scim, KinabaseView(engine, acme.org_id)
    ids = {
        name: scim.post("/Users", entra_user(f"{name}@acme.test", name, "X", name)).json["id"]
        for name in ("ada", "grace", "alan")
    }
    manager_path = f"{ENTERPRISE}:manager"

    def manager_everywhere() -> list[Any]:
        one = scim.get(f"/Users/{ids['ada']}").json
        listed = scim.filter("/Users", 'userName eq "ada@acme.test"').json["Resources"][0]
        searched = scim.post("/Users/.search", {"filter": 'userName eq "ada@acme.test"'})
        return [
            body.get(ENTERPRISE, {}).get("manager")
            for body in (one, listed, searched.json["Resources"][0])
        ]

    # Compose_Manager_Set_Patch_Body: a plain string value.
    response = scim.patch(
        f"/Users/{ids['ada']}", [{"op": "add", "path": manager_path, "value": ids["grace"]}]
    )
    assert response.status_code in (200, 204)
    for manager in manager_everywhere():
        assert isinstance(manager, dict) and manager["value"] == ids["grace"]
    seen = kb.user("ada@acme.test")
    assert seen is not None and seen.manager_email == "grace@acme.test"

    # Change.
    scim.patch(
        f"/Users/{ids['ada']}", [{"op": "replace", "path": manager_path, "value": ids["alan"]}]
    )
    for manager in manager_everywhere():
        assert isinstance(manager, dict) and manager["value"] == ids["alan"]
    check = scim.filter("/Users", f'id eq "{ids["ada"]}" and manager eq "{ids["alan"]}"')
    assert check.json["totalResults"] == 1

    # SCIM_Manager_Get_After_Remove, with null this time.
    scim.patch(f"/Users/{ids['ada']}", [{"op": "replace", "path": manager_path, "value": None}])
    assert manager_everywhere() == [None, None, None]
    seen = kb.user("ada@acme.test")
    assert seen is not None and seen.manager_email is None
