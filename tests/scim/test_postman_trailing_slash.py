"""Endpoints answer with a trailing slash too: Microsoft's reference Postman collection queries
`/Users/?filter=DisplayName+eq+%22BobIsAmazing%22` (its "Get User Filters" request)."""

from __future__ import annotations

from tests.conftest import Provisioned
from tests.scim_client import USER_SCHEMA


def test_users_query_with_trailing_slash(acme: Provisioned) -> None:
    body = {"schemas": [USER_SCHEMA], "userName": "bob@acme.test", "displayName": "BobIsAmazing"}
    user_id = acme.scim.post("/Users", body).json["id"]

    response = acme.scim.get("/Users/?filter=DisplayName+eq+%22BobIsAmazing%22")

    assert response.status_code == 200, response.json
    assert [r["id"] for r in response.json["Resources"]] == [user_id]
    assert acme.scim.get(f"/Users/{user_id}/").json["id"] == user_id
    assert acme.scim.request("PUT", "/Users/", {}).status_code == 405
