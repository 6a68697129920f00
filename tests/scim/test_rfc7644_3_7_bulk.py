"""POST /Bulk (RFC 7644 §3.7): operations through the provisioning service, each in a savepoint.

Covers the RFC's example (a user and a group naming it by bulkId), independent failures,
failOnErrors, a version that does not match, references to a failed POST and circular ones, and
the limits of §3.7.4 advertised in /ServiceProviderConfig and enforced.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import Engine

from tests.conftest import Provisioned
from tests.kinabase_view import KinabaseView
from tests.scim_client import ERROR, GROUP_SCHEMA, PATCH_OP, USER_SCHEMA

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"


def _bulk(acme: Provisioned, operations: list[dict[str, Any]], **extra: Any) -> Any:
    response = acme.scim.post(
        "/Bulk", {"schemas": [BULK_REQUEST], "Operations": operations, **extra}
    )
    assert response.status_code == 200, response.json
    assert response.json["schemas"] == [BULK_RESPONSE]
    return response.json["Operations"]


def _user(user_name: str, **attributes: Any) -> dict[str, Any]:
    return {"schemas": [USER_SCHEMA], "userName": user_name, **attributes}


def test_the_rfc_example_a_user_and_a_group_naming_it_by_bulk_id(
    acme: Provisioned, engine: Engine
) -> None:
    results = _bulk(
        acme,
        [
            {"method": "POST", "path": "/Groups", "bulkId": "ytrewq",
             "data": {"schemas": [GROUP_SCHEMA], "displayName": "Tour Guides",
                      "members": [{"type": "User", "value": "bulkId:qwerty"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "qwerty",
             "data": _user("alice@acme.test")},
        ],
    )  # fmt: skip

    assert [(r["bulkId"], r["status"]) for r in results] == [("ytrewq", "201"), ("qwerty", "201")]
    user_id = results[1]["location"].rsplit("/", 1)[1]
    group = acme.scim.get(results[0]["location"].replace("http://localhost/scim/v2", "")).json
    assert [m["value"] for m in group["members"]] == [user_id]
    assert results[1]["version"] == 'W/"1"'
    assert KinabaseView(engine, acme.org_id).user("alice@acme.test") is not None


def test_a_failed_operation_is_reported_and_the_others_stand(acme: Provisioned) -> None:
    taken = acme.scim.post("/Users", _user("taken@acme.test")).json["id"]

    results = _bulk(
        acme,
        [
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": _user("taken@acme.test")},
            {"method": "POST", "path": "/Users", "bulkId": "b", "data": _user("bob@acme.test")},
            {"method": "PATCH", "path": f"/Users/{taken}", "version": 'W/"9"',
             "data": {"schemas": [PATCH_OP],
                      "Operations": [{"op": "replace", "path": "title", "value": "X"}]}},
            {"method": "DELETE", "path": "/Users/no-such-user"},
        ],
    )  # fmt: skip

    assert [r["status"] for r in results] == ["409", "201", "412", "404"]
    assert results[0]["response"]["scimType"] == "uniqueness"
    assert results[0]["response"]["schemas"] == [ERROR] and "location" not in results[0]
    assert acme.scim.filter("/Users", 'userName eq "bob@acme.test"').json["totalResults"] == 1
    assert "title" not in acme.scim.get(f"/Users/{taken}").json


def test_fail_on_errors_stops_the_run(acme: Provisioned) -> None:
    results = _bulk(
        acme,
        [
            {"method": "DELETE", "path": "/Users/missing-1"},
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": _user("a@acme.test")},
            {"method": "DELETE", "path": "/Users/missing-2"},
            {"method": "POST", "path": "/Users", "bulkId": "b", "data": _user("b@acme.test")},
        ],
        failOnErrors=2,
    )

    assert [r["status"] for r in results] == ["404", "201", "404"]
    assert acme.scim.filter("/Users", 'userName eq "b@acme.test"').json["totalResults"] == 0


def test_references_to_a_failed_post_and_circular_ones_fail_alone(acme: Provisioned) -> None:
    results = _bulk(
        acme,
        [
            {"method": "POST", "path": "/Users", "bulkId": "bad", "data": {"schemas": []}},
            {"method": "PATCH", "path": "/Users/bulkId:bad",
             "data": {"schemas": [PATCH_OP],
                      "Operations": [{"op": "replace", "path": "title", "value": "X"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "x",
             "data": _user("x@acme.test", **{
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                     {"manager": {"value": "bulkId:y"}}})},
            {"method": "POST", "path": "/Users", "bulkId": "y",
             "data": _user("y@acme.test", **{
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                     {"manager": {"value": "bulkId:x"}}})},
            {"method": "POST", "path": "/Users", "bulkId": "z", "data": _user("z@acme.test")},
        ],
    )  # fmt: skip

    statuses = {r["bulkId"] if "bulkId" in r else r["method"]: r["status"] for r in results}
    assert statuses == {"bad": "400", "PATCH": "400", "x": "409", "y": "409", "z": "201"}
    assert "bulkId 'bad'" in results[1]["response"]["detail"]
    assert acme.scim.get("/Users").json["totalResults"] == 1


def test_limits_are_advertised_and_enforced(app: Flask, acme: Provisioned) -> None:
    config = acme.scim.get("/ServiceProviderConfig").json["bulk"]
    assert config == {"supported": True, "maxOperations": 1000, "maxPayloadSize": 1_048_576}

    too_many = [{"method": "DELETE", "path": f"/Users/u{i}"} for i in range(1001)]
    response = acme.scim.post("/Bulk", {"schemas": [BULK_REQUEST], "Operations": too_many})
    assert response.status_code == 413 and response.json["status"] == "413"
    assert "maxOperations" in response.json["detail"]

    huge = _user("big@acme.test", displayName="x" * 1_100_000)
    operation = {"method": "POST", "path": "/Users", "bulkId": "a", "data": huge}
    response = acme.scim.post("/Bulk", {"schemas": [BULK_REQUEST], "Operations": [operation]})
    assert response.status_code == 413 and response.json["schemas"] == [ERROR]
    assert acme.scim.get("/Users").json["totalResults"] == 0


def test_bad_requests_are_400_with_the_reason(acme: Provisioned) -> None:
    cases = [
        ({"schemas": [BULK_REQUEST]}, "Operations"),
        ({"schemas": [], "Operations": [{"method": "DELETE", "path": "/Users/1"}]}, "schemas"),
        ({"schemas": [BULK_REQUEST], "Operations": [{"method": "GET", "path": "/Users/1"}]},
         "method"),
        ({"schemas": [BULK_REQUEST],
          "Operations": [{"method": "POST", "path": "/Users", "data": _user("a@acme.test")}]},
         "bulkId"),
        ({"schemas": [BULK_REQUEST], "failOnErrors": 0,
          "Operations": [{"method": "DELETE", "path": "/Users/1"}]}, "failOnErrors"),
        ({"schemas": [BULK_REQUEST], "Operations": [{"method": "DELETE", "path": "/Widgets/1"}]},
         "path"),
    ]  # fmt: skip
    for body, named in cases:
        response = acme.scim.post("/Bulk", body)
        assert response.status_code == 400, (body, response.json)
        assert named in response.json["detail"], response.json


def test_another_organisations_resources_are_out_of_reach(
    acme: Provisioned, globex: Provisioned
) -> None:
    theirs = globex.scim.post("/Users", _user("eve@globex.test")).json["id"]

    results = _bulk(acme, [{"method": "DELETE", "path": f"/Users/{theirs}"}])

    assert results[0]["status"] == "404"
    assert globex.scim.get(f"/Users/{theirs}").status_code == 200
