"""Kinabase refusals of valid SCIM requests are SCIM errors, never a 500 (RFC 7644 §3.12)."""

from __future__ import annotations

from tests.conftest import Provisioned
from tests.scim_client import ENTERPRISE, USER_SCHEMA


def test_email_of_another_directory_user_is_uniqueness(acme: Provisioned) -> None:
    first = {"schemas": [USER_SCHEMA], "userName": "one@acme.test"}
    assert acme.scim.post("/Users", first).status_code == 201
    second = {
        "schemas": [USER_SCHEMA],
        "userName": "two@acme.test",
        "emails": [{"value": "one@acme.test", "type": "work", "primary": True}],
    }
    response = acme.scim.post("/Users", second)
    assert response.status_code == 409, response.json
    assert response.json["scimType"] == "uniqueness"
    assert response.json["status"] == "409"


def test_own_manager_is_invalid_value(acme: Provisioned) -> None:
    created = acme.scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "ada@acme.test"})
    user_id = created.json["id"]
    response = acme.scim.patch(
        f"/Users/{user_id}", [{"op": "add", "path": f"{ENTERPRISE}:manager", "value": user_id}]
    )
    assert response.status_code == 400, response.json
    assert response.json["scimType"] == "invalidValue"
    manager = acme.scim.get(f"/Users/{user_id}").json.get(ENTERPRISE, {}).get("manager")
    assert manager is None
