"""Cursor paging of /Users and /Groups (RFC 9865), on both engines."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from tests.conftest import Provisioned, provision_organisation
from tests.scim_client import ENTERPRISE, GROUP_SCHEMA, LIST_RESPONSE, USER_SCHEMA

TITLES = ["Engineer", "analyst", None, "Zoologist", "engineer", None, "Analyst"]


@pytest.fixture
def big(engine: Engine, client: FlaskClient) -> Provisioned:
    """An organisation with 23 users: some without a title, titles that tie, no email (no
    seats needed), and one user of another organisation that must never show."""
    org = provision_organisation(engine, client, seats=5)
    for n in range(23):
        user: dict[str, Any] = {
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "userName": f"user{(n * 7) % 23:02d}",
            "displayName": f"User {n % 5}",
            "active": n % 3 != 0,
            ENTERPRISE: {"employeeNumber": str(100 - n)},
        }
        if TITLES[n % len(TITLES)] is not None:
            user["title"] = TITLES[n % len(TITLES)]
        assert org.scim.post("/Users", user).status_code == 201
    other = provision_organisation(engine, client, seats=5)
    stranger = {"schemas": [USER_SCHEMA], "userName": "stranger"}
    assert other.scim.post("/Users", stranger).status_code == 201
    return org


def _walk(org: Provisioned, endpoint: str, query: str) -> Iterator[dict[str, Any]]:
    """Every page of a cursor walk forward, from the empty cursor to the page without
    nextCursor."""
    cursor = ""
    for _ in range(100):
        response = org.scim.get(f"{endpoint}?{query}&cursor={cursor}")
        assert response.status_code == 200, response.json
        yield response.json
        if "nextCursor" not in response.json:
            return
        cursor = response.json["nextCursor"]
    raise AssertionError("the walk never ended")


def _ids(pages: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for page in pages for r in page["Resources"]]


def test_walks_forward_and_back_over_every_user_once(big: Provisioned) -> None:
    everyone = _ids([big.scim.get("/Users?count=1000").json])
    assert len(everyone) == 23
    pages = list(_walk(big, "/Users", "count=7"))
    assert [len(p["Resources"]) for p in pages] == [7, 7, 7, 2]
    assert _ids(pages) == everyone  # creation order, each once
    for page in pages:
        assert page["schemas"] == [LIST_RESPONSE]
        assert page["totalResults"] == 23 and page["itemsPerPage"] == len(page["Resources"])
        assert "startIndex" not in page
    assert "previousCursor" not in pages[0]
    assert all("previousCursor" in p for p in pages[1:])

    # From the last page back to the first with previousCursor.
    back = [pages[-1]]
    while "previousCursor" in back[-1]:
        back.append(big.scim.get(f"/Users?count=7&cursor={back[-1]['previousCursor']}").json)
    assert [_ids([p]) for p in reversed(back)] == [_ids([p]) for p in pages]
    # A previous page leads forward again to the page it came from.
    again = big.scim.get(f"/Users?count=7&cursor={back[1]['nextCursor']}").json
    assert _ids([again]) == _ids([pages[-1]])


@pytest.mark.parametrize(
    "sort",
    [
        "sortBy=title",
        "sortBy=title&sortOrder=descending",
        "sortBy=userName",
        "sortBy=userName&sortOrder=descending",
        "sortBy=displayName",
        "sortBy=active&sortOrder=descending",
        "sortBy=meta.created&sortOrder=descending",
        f"sortBy={ENTERPRISE}:employeeNumber",
    ],
)
def test_sorted_walks_match_the_sorted_listing(big: Provisioned, sort: str) -> None:
    """Ties, missing values (last, in either order) and every kind of sort key: the walk
    gives exactly the order of the single sorted page, forward and backward."""
    listed = _ids([big.scim.get(f"/Users?count=1000&{sort}").json])
    assert len(listed) == 23
    pages = list(_walk(big, "/Users", f"count=4&{sort}"))
    assert _ids(pages) == listed
    back = [pages[-1]]
    while "previousCursor" in back[-1]:
        back.append(big.scim.get(f"/Users?count=4&{sort}&cursor={back[-1]['previousCursor']}").json)
    assert _ids(list(reversed(back))) == listed


def test_missing_values_come_last_in_either_order(big: Provisioned) -> None:
    for order in ("ascending", "descending"):
        page = big.scim.get(f"/Users?count=1000&sortBy=title&sortOrder={order}").json
        titles = [r.get("title") for r in page["Resources"]]
        assert titles[-6:] == [None] * 6 and None not in titles[:-6]


def test_filter_and_projection_with_cursors(big: Provisioned) -> None:
    query = "filter=" + quote("title pr and active eq true") + "&attributes=userName&sortBy=title"
    pages = list(_walk(big, "/Users", f"count=3&{query}"))
    listed = big.scim.get(f"/Users?count=1000&{query}").json
    assert _ids(pages) == _ids([listed])
    assert all(p["totalResults"] == listed["totalResults"] for p in pages)
    assert set(pages[0]["Resources"][0]) == {"id", "userName", "schemas"}


def test_search_request_and_groups(big: Provisioned) -> None:
    for n in range(5):
        group = {"schemas": [GROUP_SCHEMA], "displayName": f"Team {n}"}
        assert big.scim.post("/Groups", group).status_code == 201
    first = big.scim.post("/Groups/.search", {"cursor": "", "count": 2, "sortBy": "displayName"})
    assert first.status_code == 200
    names = [r["displayName"] for r in first.json["Resources"]]
    second = big.scim.post(
        "/Groups/.search", {"cursor": first.json["nextCursor"], "count": 2, "sortBy": "displayName"}
    ).json
    names += [r["displayName"] for r in second["Resources"]]
    third = big.scim.get(f"/Groups?sortBy=displayName&count=2&cursor={second['nextCursor']}")
    names += [r["displayName"] for r in third.json["Resources"]]
    assert names == [f"Team {n}" for n in range(5)] and "nextCursor" not in third.json
    users = big.scim.post("/Users/.search", {"cursor": "", "count": 20}).json
    assert len(users["Resources"]) == 20 and "nextCursor" in users
    across = big.scim.post("/.search", {"cursor": "", "count": 2})
    assert across.status_code == 400 and across.json["scimType"] == "invalidValue"


def test_refusals(big: Provisioned, engine: Engine, client: FlaskClient) -> None:
    cursor = big.scim.get("/Users?count=5&cursor=").json["nextCursor"]

    def refused(path: str, scim_type: str, org: Provisioned = big) -> str:
        response = org.scim.get(path)
        assert response.status_code == 400, response.json
        assert response.json["scimType"] == scim_type
        return str(response.json["detail"])

    altered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    details = {
        refused(f"/Users?count=5&cursor={altered}", "invalidCursor"),
        refused("/Users?count=5&cursor=garbage", "invalidCursor"),
        refused(f"/Users?count=5&cursor={cursor}&sortBy=title", "invalidCursor"),
        refused(f"/Users?count=5&cursor={cursor}&filter=active+eq+true", "invalidCursor"),
        refused(f"/Groups?count=5&cursor={cursor}", "invalidCursor"),
        refused(
            f"/Users?count=5&cursor={cursor}",
            "invalidCursor",
            provision_organisation(engine, client),
        ),
    }
    assert len(details) == 1  # one answer, whatever made the cursor wrong
    refused("/Users?cursor=a%20b", "invalidCursor")
    refused("/Users?cursor=a%2Fb", "invalidCursor")
    refused("/Users?cursor=" + "a" * 2000, "invalidCursor")
    refused(f"/Users?cursor={cursor}&startIndex=1", "invalidValue")
    refused("/Users?cursor=&count=0", "invalidCount")
    refused("/Users?cursor=&count=-3", "invalidCount")
    # count and the projection may change between pages; an over-large count is capped.
    page = big.scim.get(f"/Users?count=5000&attributes=userName&cursor={cursor}").json
    assert len(page["Resources"]) == 18 and "nextCursor" not in page


def test_service_provider_config_advertises_pagination(big: Provisioned) -> None:
    config = big.scim.get("/ServiceProviderConfig").json
    assert config["pagination"] == {
        "cursor": True,
        "index": True,
        "defaultPaginationMethod": "index",
        "defaultPageSize": 1000,
        "maxPageSize": 1000,
        "cursorTimeout": 3600,
    }
    schema = big.scim.get(
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
    ).json
    pagination = next(a for a in schema["attributes"] if a["name"] == "pagination")
    assert {a["name"] for a in pagination["subAttributes"]} == set(config["pagination"])


@pytest.fixture
def short_cursors(engine: Engine, database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "database_url": database_url,
            "environment": "test",
            "secret_key": "test-secret-key",
            "scim_cursor_timeout_seconds": 1,
        }
    )
    yield app
    get_database(app).engine.dispose()


def test_an_old_cursor_has_expired(engine: Engine, short_cursors: Flask) -> None:
    org = provision_organisation(engine, short_cursors.test_client())
    for name in ("a", "b", "c"):
        org.scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": name})
    cursor = org.scim.get("/Users?count=1&cursor=").json["nextCursor"]
    assert org.scim.get(f"/Users?count=1&cursor={cursor}").status_code == 200
    time.sleep(2.1)
    response = org.scim.get(f"/Users?count=1&cursor={cursor}")
    assert response.status_code == 400 and response.json["scimType"] == "expiredCursor"
    # A forged cursor is invalid, never expired: the signature is checked first.
    forged = cursor[:-2] + ("zz" if not cursor.endswith("zz") else "yy")
    assert org.scim.get(f"/Users?count=1&cursor={forged}").json["scimType"] == "invalidCursor"
