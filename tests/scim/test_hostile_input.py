"""Hostile input is a 400 with the right scimType on both engines, and the server stays healthy
(scim_server/protocol/limits.py; docs/scim.md, "Limits")."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.conftest import Provisioned
from tests.scim.test_http_edge import assert_scim_error
from tests.scim_client import PATCH_OP, entra_user

CUSTOM = "urn:ietf:params:scim:schemas:extension:Custom:2.0:User"


def _post_raw(acme: Provisioned, path: str, raw: str | bytes, method: str = "POST") -> Any:
    response = acme.scim.http.open(
        f"/scim/v2{path}",
        method=method,
        data=raw,
        headers={"Authorization": f"Bearer {acme.scim.token}"},
        content_type="application/scim+json",
    )
    response.get_data()
    response.close()
    return response


def _user(**changes: Any) -> dict[str, Any]:
    body = entra_user("ada@acme.test", "Ada", "Lovelace", "ada")
    body.update(changes)
    return body


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def assert_healthy_and_empty(acme: Provisioned) -> None:
    """Nothing was stored and the next ordinary request works."""
    listed = acme.scim.get("/Users")
    assert listed.status_code == 200
    assert listed.json["totalResults"] == 0
    created = acme.scim.post("/Users", _user())
    assert created.status_code == 201, created.json


def test_json_nested_10000_deep_is_invalid_syntax_without_a_traceback(
    acme: Provisioned, caplog: pytest.LogCaptureFixture
) -> None:
    raw = '{"userName": "ada", "x": ' + _nested(10_000) + "}"
    with caplog.at_level(logging.INFO):
        assert_scim_error(_post_raw(acme, "/Users", raw), 400, "invalidSyntax")
    assert len(caplog.records) <= 2
    assert not any(record.exc_info for record in caplog.records)
    assert_healthy_and_empty(acme)


def test_900_levels_inside_a_custom_extension_are_invalid_syntax(acme: Provisioned) -> None:
    raw = json.dumps(_user(schemas=[CUSTOM]))[:-1] + f', "{CUSTOM}": {{"deep": {_nested(900)}}}}}'
    assert_scim_error(_post_raw(acme, "/Users", raw), 400, "invalidSyntax")
    user_id = acme.scim.post("/Users", _user()).json["id"]
    patch = (
        f'{{"schemas": ["{PATCH_OP}"], "Operations": [{{"op": "add", '
        f'"path": "{CUSTOM}:deep", "value": {_nested(900)}}}]}}'
    )
    assert_scim_error(_post_raw(acme, f"/Users/{user_id}", patch, "PATCH"), 400, "invalidSyntax")
    assert acme.scim.get(f"/Users/{user_id}").status_code == 200


@pytest.mark.parametrize(
    "raw_value",
    [r'"\ud800"', r'"a\udfffb"', r'"a\u0000b"'],
    ids=["lone-high-surrogate", "lone-low-surrogate", "nul"],
)
@pytest.mark.parametrize("attribute", ["userName", "displayName", "title", "nickName"])
def test_strings_without_nul_or_lone_surrogates(
    acme: Provisioned, raw_value: str, attribute: str
) -> None:
    body = json.dumps(_user())[:-1] + f', "{attribute}": {raw_value}}}'
    if attribute in ("userName", "displayName"):
        body = body.replace(f'"{attribute}": "', f'"{attribute}Was": "', 1)
    assert_scim_error(_post_raw(acme, "/Users", body), 400, "invalidValue")
    assert_healthy_and_empty(acme)


def test_nul_anywhere_is_invalid_value(acme: Provisioned) -> None:
    user_id = acme.scim.post("/Users", _user()).json["id"]
    in_extension = _user(schemas=[CUSTOM], **{CUSTOM: {"badge": "a\x00b"}})
    in_extension["userName"] = "bob@acme.test"
    assert_scim_error(acme.scim.post("/Users", in_extension), 400, "invalidValue")
    patch = [{"op": "replace", "path": "title", "value": "a\x00b"}]
    assert_scim_error(acme.scim.patch(f"/Users/{user_id}", patch), 400, "invalidValue")
    assert_scim_error(acme.scim.get("/Users/a%00b"), 400, "invalidValue")
    assert_scim_error(acme.scim.get("/Users?attributes=user%00Name"), 400, "invalidValue")
    assert_scim_error(acme.scim.filter("/Users", 'userName eq "a\x00b"'), 400, "invalidValue")
    escaped = acme.scim.filter("/Users", 'userName eq "a\\u0000b"')
    assert_scim_error(escaped, 400, "invalidFilter")
    search = {"filter": 'userName eq "a\\ud800"'}
    assert_scim_error(acme.scim.post("/Users/.search", search), 400, "invalidFilter")
    assert "title" not in acme.scim.get(f"/Users/{user_id}").json


@pytest.mark.parametrize(
    ("attribute", "length"),
    [("userName", 1_000_000), ("displayName", 1_000_000), ("externalId", 257), ("title", 70_000)],
)
def test_documented_length_limits(acme: Provisioned, attribute: str, length: int) -> None:
    response = acme.scim.post("/Users", _user(**{attribute: "x" * length}))
    assert_scim_error(response, 400, "invalidValue")
    assert_healthy_and_empty(acme)


def test_length_limits_hold_for_patch_emails_and_groups(acme: Provisioned) -> None:
    user_id = acme.scim.post("/Users", _user()).json["id"]
    long = "x" * 257
    for operations in (
        [{"op": "replace", "path": "displayName", "value": long}],
        [{"op": "replace", "value": {"userName": long}}],
        [{"op": "add", "path": "emails", "value": [{"type": "home", "value": long}]}],
    ):
        assert_scim_error(acme.scim.patch(f"/Users/{user_id}", operations), 400, "invalidValue")
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": long}
    assert_scim_error(acme.scim.post("/Groups", group), 400, "invalidValue")
    group["displayName"] = "x" * 256
    assert acme.scim.post("/Groups", group).status_code == 201


@pytest.mark.parametrize(
    "query",
    [
        "startIndex=1000000000000000000000000000000",
        "count=1000000000000000000000000000000",
        "startIndex=-1000000000000000000000000000000",
        "startIndex=9223372036854775807",
        "count=" + "9" * 100,
    ],
)
def test_out_of_range_paging_is_invalid_value(acme: Provisioned, query: str) -> None:
    assert_scim_error(acme.scim.get(f"/Users?{query}"), 400, "invalidValue")
    assert_scim_error(acme.scim.get(f"/Groups?{query}"), 400, "invalidValue")
    assert_healthy_and_empty(acme)


def test_out_of_range_search_request_is_invalid_value(acme: Provisioned) -> None:
    for body in ({"startIndex": 10**30}, {"count": 2**40}, {"startIndex": "1" * 30}):
        assert_scim_error(acme.scim.post("/.search", body), 400, "invalidValue")
    assert acme.scim.post("/.search", {"startIndex": 2**31 - 1}).status_code == 200


@pytest.mark.parametrize(
    ("raw_value", "scim_type"),
    [
        ("NaN", "invalidSyntax"),
        ("Infinity", "invalidSyntax"),
        ("-Infinity", "invalidSyntax"),
        ("1e999", "invalidValue"),
        ("-1e999", "invalidValue"),
        ("1" + "0" * 30, "invalidValue"),
    ],
)
def test_numbers_are_finite_and_integers_in_range(
    acme: Provisioned, raw_value: str, scim_type: str
) -> None:
    body = json.dumps(_user(schemas=[CUSTOM]))[:-1] + f', "{CUSTOM}": {{"score": {raw_value}}}}}'
    assert_scim_error(_post_raw(acme, "/Users", body), 400, scim_type)
    assert_healthy_and_empty(acme)


def test_numbers_in_filters_are_finite(acme: Provisioned) -> None:
    assert_scim_error(acme.scim.filter("/Users", "title eq 1e999"), 400, "invalidFilter")
    assert acme.scim.filter("/Users", "title eq 1e99").status_code == 200
