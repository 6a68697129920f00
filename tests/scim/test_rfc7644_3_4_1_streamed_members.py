"""A GET of a group streams its members, and ends its transaction when the body is sent.

Found on PostgreSQL by the conformance suites: the stream read the members through the view's
session after Flask had closed it, which opened a transaction that nothing closed; it held a
pooled connection and locks until garbage collection (the next TRUNCATE waited forever).
"""

from __future__ import annotations

from flask import Flask

from kinabase_m365.database import get_database
from tests.conftest import Provisioned
from tests.scim_client import GROUP_SCHEMA, USER_SCHEMA


def test_streamed_group_returns_its_connection(app: Flask, acme: Provisioned) -> None:
    user = acme.scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "ada@acme.test"})
    created = acme.scim.post(
        "/Groups",
        {
            "schemas": [GROUP_SCHEMA],
            "displayName": "Sales",
            "members": [{"value": user.json["id"]}],
        },
    )
    pool = get_database(app).engine.pool

    response = acme.scim.get(f"/Groups/{created.json['id']}")

    assert [m["value"] for m in response.json["members"]] == [user.json["id"]]
    assert pool.checkedout() == 0, "the stream's session must be closed when the body is sent"
