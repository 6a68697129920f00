"""Okta's runtime requests for a user whose userName is not an email address and who has none.

RFC 7643 §4.1.1 requires only userName, "often displayed to the user as their unique identifier";
nothing says it is an address. Okta sends its login by default, but an app's "Application username
format" may be a custom expression or the AD SAM account name (`jdoe`), and an administrator may
leave `emails` unmapped: then Okta's create body (OKTA-REF, entra-provisioning.md §4) has neither.
Such a user is a SCIM user like any other: created, read, found by userName, updated, deactivated,
a group member, deleted. Kinabase accounts are keyed by email address, so on the Kinabase side
the user waits, with no account and no seat, until an address arrives.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from kinabase.users import UserStatus
from kinabase_m365.cli import main as cli
from tests.conftest import Provisioned
from tests.idp.okta.test_runtime import okta_user
from tests.kinabase_view import KinabaseView
from tests.scim_client import ERROR, GROUP_SCHEMA, ScimClient

pytestmark = pytest.mark.conformance


def okta_user_without_email(login: str, given: str, family: str) -> dict[str, object]:
    """Okta's create body when the username format is not an address and emails is unmapped."""
    body = okta_user(login, given, family)
    del body["emails"]
    return body


def _members(scim: ScimClient, group_id: str) -> list[str]:
    return sorted(m["value"] for m in scim.get(f"/Groups/{group_id}").json.get("members", []))


def _found(scim: ScimClient, expression: str) -> list[str]:
    response = scim.filter("/Users", expression)
    assert response.status_code == 200, response.json
    return [r["id"] for r in response.json["Resources"]]


def test_user_lifecycle(acme: Provisioned, engine: Engine) -> None:
    scim, kb = acme.scim, KinabaseView(engine, acme.org_id)

    # Okta looks the user up by userName first, then creates them.
    assert _found(scim, 'userName eq "jdoe"') == []
    response = scim.post("/Users", okta_user_without_email("jdoe", "Jane", "Doe"))
    assert response.status_code == 201, response.json
    created = response.json
    assert created["userName"] == "jdoe"
    assert "emails" not in created and "password" not in created
    assert created["active"] is True
    user_id = created["id"]
    assert response.headers["Location"].endswith(f"/Users/{user_id}")

    fetched = scim.get(f"/Users/{user_id}")
    assert fetched.status_code == 200
    assert (fetched.json["userName"], fetched.json["name"]["givenName"]) == ("jdoe", "Jane")
    assert _found(scim, 'userName eq "jdoe"') == [user_id]
    assert _found(scim, 'userName eq "JDOE"') == [user_id]  # caseExact false
    assert _found(scim, f'externalId eq "{created["externalId"]}"') == [user_id]

    # No address, so no Kinabase account and no seat yet.
    assert kb.emails() == []
    assert kb.seats_in_use() == 0

    # The same userName again is a uniqueness clash, as for any user.
    again = scim.post("/Users", okta_user_without_email("JDoe", "Jane", "Doe"))
    assert again.status_code == 409, again.json
    assert again.json["scimType"] == "uniqueness" and ERROR in again.json["schemas"]

    # Profile update: Okta PUTs the whole user.
    put = {**okta_user_without_email("jdoe", "Janet", "Doe"), "id": user_id}
    response = scim.put(f"/Users/{user_id}", put)
    assert response.status_code == 200, response.json
    assert response.json["name"]["givenName"] == "Janet"
    assert scim.get(f"/Users/{user_id}").json["displayName"] == "Janet Doe"

    # Deactivate and reactivate with path-less replaces; the user stays visible meanwhile.
    for active in (False, True):
        response = scim.patch(f"/Users/{user_id}", [{"op": "replace", "value": {"active": active}}])
        assert response.status_code in (200, 204), response.json
        assert scim.get(f"/Users/{user_id}").json["active"] is active
        assert _found(scim, 'userName eq "jdoe"') == [user_id]
    assert kb.emails() == [] and kb.seats_in_use() == 0

    # A DELETE (Okta deactivates instead, but other clients delete) removes the user.
    assert scim.delete(f"/Users/{user_id}").status_code == 204
    assert scim.get(f"/Users/{user_id}").status_code == 404
    assert _found(scim, 'userName eq "jdoe"') == []
    assert kb.emails() == []


def test_group_push(acme: Provisioned, engine: Engine, cli_env: str) -> None:
    scim, kb = acme.scim, KinabaseView(engine, acme.org_id)
    assert cli(["role", "add", "--org", str(acme.org_id), "--name", "Sales"]) == 0
    rule = ["rule", "add", "--org", str(acme.org_id), "--group", "Sales EMEA", "--role", "Sales"]
    assert cli(rule) == 0
    jdoe = scim.post("/Users", okta_user_without_email("jdoe", "Jane", "Doe")).json["id"]
    ann = scim.post("/Users", okta_user("ann@okta.test", "Ann", "Okta")).json["id"]
    group = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Sales EMEA"})
    assert group.status_code == 201, group.json
    gid = group.json["id"]

    response = scim.patch(
        f"/Groups/{gid}",
        [
            {
                "op": "add",
                "path": "members",
                "value": [{"value": jdoe, "display": "jdoe"}, {"value": ann}],
            }
        ],
    )
    assert response.status_code in (200, 204), response.json
    assert _members(scim, gid) == sorted([jdoe, ann])
    seen = kb.user("ann@okta.test")
    assert seen is not None and seen.roles == ("Sales",)
    assert kb.emails() == ["ann@okta.test"], "the member without an address has no account"

    # One PATCH: remove the account-name member by valuePath, add them back, remove Ann.
    response = scim.patch(
        f"/Groups/{gid}",
        [
            {"op": "remove", "path": f'members[value eq "{jdoe}"]'},
            {"op": "add", "path": "members", "value": [{"value": jdoe}]},
            {"op": "remove", "path": f'members[value eq "{ann}"]'},
        ],
    )
    assert response.status_code in (200, 204), response.json
    assert _members(scim, gid) == [jdoe]
    seen = kb.user("ann@okta.test")
    assert seen is not None and seen.roles == ()

    # Full-membership replace, then deleting the member takes them out of the group.
    response = scim.patch(
        f"/Groups/{gid}",
        [{"op": "replace", "path": "members", "value": [{"value": jdoe}, {"value": ann}]}],
    )
    assert response.status_code in (200, 204), response.json
    assert _members(scim, gid) == sorted([jdoe, ann])
    assert scim.delete(f"/Users/{jdoe}").status_code == 204
    assert _members(scim, gid) == [ann]
    seen = kb.user("ann@okta.test")
    assert seen is not None and seen.roles == ("Sales",) and seen.status is UserStatus.ACTIVE
    assert kb.emails() == ["ann@okta.test"]
