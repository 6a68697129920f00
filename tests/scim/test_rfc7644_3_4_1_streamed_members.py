"""A GET of a group streams its members, and ends its transaction when the body is sent.

Found on PostgreSQL by the conformance suites: the stream read the members through the view's
session after Flask had closed it, which opened a transaction that nothing closed; it held a
pooled connection and locks until garbage collection (the next TRUNCATE waited forever).
"""

from __future__ import annotations

import json

import pytest
from flask import Flask

from kinabase_m365.database import get_database
from scim_server.resources import groups as scim_groups
from scim_server.store import groups as group_store
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


def test_members_streamed_over_several_chunks_and_pages_form_one_json_document(
    acme: Provisioned, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks and pages, so that five members cross every boundary the streaming has.
    monkeypatch.setattr(scim_groups, "STREAM_CHUNK", 2)
    monkeypatch.setattr(group_store, "MEMBER_PAGE", 2)
    ids = [
        acme.scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": f"u{i}@acme.test"}).json[
            "id"
        ]
        for i in range(5)
    ]
    group = acme.scim.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "All", "members": [{"value": i} for i in ids]},
    ).json

    response = acme.scim.get(f"/Groups/{group['id']}")

    body = json.loads(response.get_data(as_text=True))
    assert sorted(m["value"] for m in body["members"]) == sorted(ids)
    assert all(m["$ref"].endswith(f"/Users/{m['value']}") for m in body["members"])
    assert body["displayName"] == "All" and body["id"] == group["id"]
