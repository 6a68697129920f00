"""Okta's public "SCIM 2.0 SPEC Test" (Runscope), replayed step by step with its assertions.

Source: okta/okta-developer-docs, `Okta-SCIM-20-SPEC-Test.json` (entra-provisioning.md §4).
Every request carries the headers that test sends, including a Content-Type on GETs; the two
POSTs send `application/json`. Okta's pauses between steps are left out. The test needs one user
to exist before it starts (step 1 reads it), so the organisation's first user is made here.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import Provisioned
from tests.scim_client import BASE, ERROR, GROUP_SCHEMA, LIST_RESPONSE, USER_SCHEMA

pytestmark = pytest.mark.conformance

OKTA_GET_HEADERS = {
    "Accept-Charset": "utf-8",
    "Content-Type": "application/scim+json; charset=utf-8",
    "Accept": "application/scim+json",
    "User-Agent": "OKTA SCIM Integration",
}


class Okta:
    """Sends requests the way the SPEC test's steps do."""

    def __init__(self, http: FlaskClient, token: str) -> None:
        self.http = http
        self.auth = f"Bearer {token}"

    def get(self, path: str, auth: str | None = None) -> TestResponse:
        headers = {**OKTA_GET_HEADERS, "Authorization": auth or self.auth}
        return self.http.get(BASE + path, headers=headers)

    def post_users(self, body: str) -> TestResponse:
        headers = {
            "Content-Type": "application/json",
            "Authorization": self.auth,
            "Accept": "application/scim+json; charset=utf-8",
        }
        return self.http.post(BASE + "/Users", data=body, headers=headers)


def _filter(expression: str) -> str:
    return "/Users?filter=" + quote(expression, safe="")


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _user_body(user_name: str, given: str, family: str, email: str) -> str:
    # The SPEC test's body template, byte for byte, with its variables substituted.
    return (
        '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],'
        f'"userName":"{user_name}","name":{{"givenName":"{given}","familyName":"{family}"}},'
        f'"emails":[{{"primary":true,"value":"{email}","type":"work"}}],'
        f'"displayName":"{given} {family}","active":true}}'
    )


def test_okta_scim_2_0_spec_test(acme: Provisioned, client: FlaskClient) -> None:
    okta = Okta(client, acme.scim.token)
    existing = acme.scim.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "existing.user@okta.test",
            "name": {"givenName": "Existing", "familyName": "User"},
            "emails": [{"primary": True, "value": "existing.user@okta.test", "type": "work"}],
            "active": True,
        },
    )
    assert existing.status_code == 201
    group = acme.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Everyone"})
    assert group.status_code == 201

    # 1. Required Test: Test Users endpoint.
    response = okta.get("/Users?count=1&startIndex=1")
    assert response.status_code == 200
    page = response.json
    assert page["Resources"]
    assert LIST_RESPONSE in page["schemas"]
    assert all(_is_number(page[k]) for k in ("itemsPerPage", "startIndex", "totalResults"))
    first = page["Resources"][0]
    assert first["id"] and first["userName"] and first["emails"][0]["value"]
    assert first["name"]["familyName"] and first["name"]["givenName"]
    assert first["active"] is not None
    isv_user_id = first["id"]

    # 2. Required Test: Get Users/{{id}}.
    response = okta.get(f"/Users/{isv_user_id}")
    assert response.status_code == 200
    user = response.json
    assert user["id"] == isv_user_id
    assert user["name"]["familyName"] and user["name"]["givenName"] and user["userName"]
    assert user["active"] is not None and user["emails"][0]["value"]

    # 3. Required Test: Test invalid User by username.
    response = okta.get(_filter(f'userName eq "{uuid.uuid4().hex}@"'))
    assert response.status_code == 200
    assert LIST_RESPONSE in response.json["schemas"]
    assert response.json["totalResults"] == 0

    # 4. Required Test: Test invalid User by ID.
    response = okta.get(f"/Users/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json["detail"]
    assert ERROR in response.json["schemas"]

    # 5. Required Test: Make sure random user doesn't exist.
    random_email = f"{uuid.uuid4().hex[:12]}@okta.test"
    response = okta.get(_filter(f'userName eq "{random_email}"'))
    assert response.status_code == 200
    assert response.json["totalResults"] == 0
    assert LIST_RESPONSE in response.json["schemas"]

    # 6. Required Test: Create Okta user with realistic values.
    user_name, given, family = f"{uuid.uuid4().hex[:10]}@okta.test", "Marie", "Curie"
    response = okta.post_users(_user_body(user_name, given, family, random_email))
    assert response.status_code == 201, response.json
    created = response.json
    assert created["active"] is True
    assert created["id"]
    assert created["name"]["familyName"] == family and created["name"]["givenName"] == given
    assert USER_SCHEMA in created["schemas"]
    assert created["userName"] == user_name
    id_user_one = created["id"]

    # 7. Required Test: Verify that user was created.
    response = okta.get(f"/Users/{id_user_one}")
    assert response.status_code == 200
    assert response.json["userName"] == user_name
    assert response.json["name"]["familyName"] == family
    assert response.json["name"]["givenName"] == given

    # 8. Required Test: Expect failure when recreating user with same values.
    response = okta.post_users(_user_body(user_name, given, family, user_name))
    assert response.status_code == 409

    # 9. Required Test: Username Case Sensitivity Check.
    response = okta.get(_filter(f'userName eq "{user_name.upper()}"'))
    assert response.status_code == 200
    assert [r["id"] for r in response.json["Resources"]] == [id_user_one]  # caseExact false

    # 10. Optional Test: Verify Groups endpoint (answered within 600 ms).
    started = time.perf_counter()
    response = okta.get("/Groups")
    assert time.perf_counter() - started < 0.6
    assert response.status_code == 200
    assert response.json["totalResults"] >= 1 and isinstance(response.json["Resources"], list)

    # 11. Required Test: Check status 401.
    response = okta.get(_filter(f'userName eq "{user_name.upper()}"'), auth="non-token")
    assert response.status_code == 401
    assert response.json["detail"]
    assert response.json["status"] == "401"
    assert ERROR in response.json["schemas"]

    # 12. Required Test: Check status 404.
    response = okta.get("/Users/00919288221112222")
    assert response.status_code == 404
    assert response.json["detail"]
    assert response.json["status"] == "404"
    assert ERROR in response.json["schemas"]
