"""Users without an email address: accepted as SCIM requires (RFC 7643 §4.1.1), pending in Kinabase.

A User needs only a userName. One with no email and a userName that is not an address is
stored and answered like any other, and stays pending (no Kinabase user, no seat) until a PATCH
or PUT gives it an address; then it is projected with its seat, Colleague record, group rules
and manager links. The CLI shows both sides: `provisioning pending` and `user list`.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from tests.cli_support import run_cli
from tests.conftest import Provisioned
from tests.kinabase_view import KinabaseView
from tests.scim_client import ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    status, out, err = run_cli(capsys, *argv)
    assert status == 0, err
    return out


def _post_user(acme: Provisioned, user_name: str, **extra: object) -> str:
    response = acme.scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": user_name, **extra})
    assert response.status_code == 201, response.json
    return str(response.json["id"])


def test_a_user_without_email_is_stored_answered_and_pending(
    acme: Provisioned, engine: Engine, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    kinabase = KinabaseView(engine, acme.org_id)
    user_id = _post_user(acme, "jdoe", name={"givenName": "John", "familyName": "Doe"})

    assert acme.scim.get(f"/Users/{user_id}").json["userName"] == "jdoe"
    found = acme.scim.filter("/Users", 'userName eq "JDOE"').json
    assert [r["id"] for r in found["Resources"]] == [user_id]
    patched = acme.scim.patch(
        f"/Users/{user_id}", [{"op": "replace", "path": "title", "value": "Ops"}]
    )
    assert patched.status_code == 200 and patched.json["title"] == "Ops"
    assert kinabase.seats_in_use() == 0

    pending = _cli(capsys, "provisioning", "pending", "--org", str(acme.org_id))
    [line] = pending.splitlines()
    directory_id, user_name, reason = line.split("\t")
    assert (directory_id, user_name) == (user_id, "jdoe")
    assert "no email address" in reason
    assert json.loads(_cli(capsys, "user", "list", "--org", str(acme.org_id), "--json")) == []


def test_an_email_given_later_projects_the_user_with_seat_record_rules_and_manager(
    acme: Provisioned, engine: Engine, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    org = str(acme.org_id)
    kinabase = KinabaseView(engine, acme.org_id)
    _cli(capsys, "role", "add", "--org", org, "--name", "Sales")
    _cli(capsys, "rule", "add", "--org", org, "--group", "Sales", "--role", "Sales",
         "--user-type", "administrator")  # fmt: skip
    boss_id = _post_user(acme, "boss@acme.test")
    user_id = _post_user(acme, "jdoe", title="Rep", **{ENTERPRISE: {"manager": {"value": boss_id}}})
    _post_user(acme, "grace@acme.test", **{ENTERPRISE: {"manager": {"value": user_id}}})
    group = acme.scim.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": [{"value": user_id}]},
    )
    assert group.status_code == 201, group.json
    assert kinabase.seats_in_use() == 2
    assert kinabase.user("grace@acme.test").manager_email is None  # type: ignore[union-attr]

    response = acme.scim.patch(
        f"/Users/{user_id}",
        [{"op": "add", "path": 'emails[type eq "work"].value', "value": "jdoe@acme.test"}],
    )
    assert response.status_code == 200, response.json

    assert kinabase.seats_in_use() == 3
    john = kinabase.user("jdoe@acme.test")
    assert john is not None
    assert (john.job_title, john.colleague.get("jobTitle")) == ("Rep", "Rep")
    assert john.roles == ("Sales",) and john.user_type.value == "administrator"
    assert john.manager_email == "boss@acme.test"
    assert kinabase.user("grace@acme.test").manager_email == "jdoe@acme.test"  # type: ignore[union-attr]
    assert _cli(capsys, "provisioning", "pending", "--org", org) == ""
    listed = _cli(capsys, "user", "list", "--org", org)
    assert "jdoe@acme.test\tadministrator\tactive\tdirectory" in listed.splitlines()


def test_deleting_a_pending_user_leaves_nothing_behind(
    acme: Provisioned, engine: Engine, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    user_id = _post_user(acme, "jdoe")
    group = acme.scim.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "Ops", "members": [{"value": user_id}]},
    ).json

    assert acme.scim.delete(f"/Users/{user_id}").status_code == 204

    assert acme.scim.get(f"/Users/{user_id}").status_code == 404
    assert acme.scim.get(f"/Groups/{group['id']}").json.get("members", []) == []
    assert _cli(capsys, "provisioning", "pending", "--org", str(acme.org_id)) == ""
    assert _cli(capsys, "user", "list", "--org", str(acme.org_id)) == ""


def test_a_put_with_an_email_address_user_name_projects_the_user(
    acme: Provisioned, engine: Engine
) -> None:
    user_id = _post_user(acme, "ada")
    response = acme.scim.put(
        f"/Users/{user_id}", {"schemas": [USER_SCHEMA], "userName": "ada@acme.test"}
    )
    assert response.status_code == 200, response.json
    assert KinabaseView(engine, acme.org_id).user("ada@acme.test") is not None
