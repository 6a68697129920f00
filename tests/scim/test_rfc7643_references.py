"""References carry the sub-attributes the server computes (RFC 7643 §2.3.7, §4.1.2, §4.2, §4.3).

Found by scim2-tester: it PATCHes a manager with `$ref` and members with `type`, and expects them
back; the server kept only `value`.
"""

from __future__ import annotations

from tests.conftest import Provisioned
from tests.scim_client import ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA


def _user(acme: Provisioned, user_name: str) -> str:
    response = acme.scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": user_name})
    assert response.status_code == 201, response.json
    user_id: str = response.json["id"]
    return user_id


def test_manager_has_value_and_ref(acme: Provisioned) -> None:
    boss, ada = _user(acme, "grace@acme.test"), _user(acme, "ada@acme.test")
    patched = acme.scim.patch(
        f"/Users/{ada}", [{"op": "add", "path": f"{ENTERPRISE}:manager", "value": boss}]
    )
    assert patched.status_code == 200
    for body in (
        patched.json,
        acme.scim.get(f"/Users/{ada}").json,
        acme.scim.filter("/Users", 'userName eq "ada@acme.test"').json["Resources"][0],
    ):
        manager = body[ENTERPRISE]["manager"]
        assert manager["value"] == boss
        assert manager["$ref"].endswith(f"/scim/v2/Users/{boss}")


def test_members_are_users_and_groups_are_direct(acme: Provisioned) -> None:
    ada = _user(acme, "ada@acme.test")
    created = acme.scim.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": [{"value": ada}]},
    )
    group = created.json["id"]
    for body in (created.json, acme.scim.get(f"/Groups/{group}").json):
        [member] = body["members"]
        assert (member["value"], member["type"]) == (ada, "User")
        assert member["$ref"].endswith(f"/scim/v2/Users/{ada}")
    [membership] = acme.scim.get(f"/Users/{ada}").json["groups"]
    assert (membership["value"], membership["type"], membership["display"]) == (
        group,
        "direct",
        "Sales",
    )
