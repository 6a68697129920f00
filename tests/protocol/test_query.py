"""List queries, SearchRequest and ListResponse (RFC 7644 §3.4.2, §3.4.3)."""

from __future__ import annotations

import pytest

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.errors import InvalidFilter, InvalidSyntax, InvalidValue, ScimError
from scim_server.protocol.filter_ast import CompareOp, Comparison
from scim_server.protocol.list_response import LIST_RESPONSE_SCHEMA, list_response
from scim_server.protocol.query import SortOrder, parse_list_query, parse_search_request

USER = load_registry().user
GROUP = load_registry().group


def test_defaults() -> None:
    query = parse_list_query({}, USER, max_page_size=100)
    assert (query.filter, query.start_index, query.count, query.offset) == (None, 1, 100, 0)
    assert (query.sort_by, query.sort_order) == (None, SortOrder.ASCENDING)


@pytest.mark.parametrize(
    ("params", "start_index", "count"),
    [
        ({"startIndex": "1", "count": "10"}, 1, 10),
        ({"startIndex": "0"}, 1, 100),  # §3.4.2.4: less than 1 is 1
        ({"startIndex": "-5"}, 1, 100),
        ({"startIndex": "11", "count": "5"}, 11, 5),  # Entra's validator pages by 5
        ({"count": "-1"}, 1, 0),  # §3.4.2.4: negative is 0
        ({"count": "0"}, 1, 0),
        ({"count": "100000"}, 1, 100),  # never more than the maximum page size
        ({"startindex": "3", "COUNT": "2"}, 3, 2),
    ],
)
def test_paging(params: dict[str, str], start_index: int, count: int) -> None:
    query = parse_list_query(params, USER, max_page_size=100)
    assert (query.start_index, query.count, query.offset) == (start_index, count, start_index - 1)


@pytest.mark.parametrize("params", [{"count": "ten"}, {"startIndex": "1.5"}, {"sortOrder": "up"}])
def test_bad_numbers_and_orders(params: dict[str, str]) -> None:
    with pytest.raises(InvalidValue):
        parse_list_query(params, USER, max_page_size=100)


def test_filter_sort_and_projection() -> None:
    query = parse_list_query(
        {
            "filter": 'userName eq "Test_User_dfeef4c5"',
            "sortBy": "name.familyName",
            "sortOrder": "Descending",
            "attributes": "userName,emails",
        },
        USER,
        max_page_size=100,
    )
    assert query.filter == Comparison(
        USER.resolve_text("userName"), CompareOp.EQ, "Test_User_dfeef4c5"
    )  # type: ignore[arg-type]
    assert str(query.sort_by) == "name.familyName"
    assert query.sort_order is SortOrder.DESCENDING
    assert [str(p) for p in query.projection.attributes] == ["userName", "emails"]


def test_bad_filter_and_sort_by() -> None:
    with pytest.raises(InvalidFilter):
        parse_list_query({"filter": "userName eq"}, USER, max_page_size=100)
    with pytest.raises(InvalidValue):
        parse_list_query({"sortBy": "shoeSize"}, USER, max_page_size=100)


def test_search_request() -> None:
    query = parse_search_request(
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "attributes": ["displayName", "userName"],
            "excludedAttributes": ["emails"],
            "filter": 'displayName sw "smith"',
            "startIndex": 1,
            "count": 10,
        },
        USER,
        max_page_size=50,
    )
    assert [str(p) for p in query.projection.attributes] == ["displayName", "userName"]
    assert query.projection.excluded == ()
    assert (query.start_index, query.count) == (1, 10)
    assert query.filter is not None


def test_search_request_must_be_an_object() -> None:
    with pytest.raises(InvalidSyntax):
        parse_search_request(["filter"], USER, max_page_size=50)
    with pytest.raises(ScimError):
        parse_search_request({"filter": 7}, USER, max_page_size=50)


def test_group_query_excluding_members() -> None:
    query = parse_list_query(
        {"excludedAttributes": "members", "filter": 'displayName eq "Sales"'},
        GROUP,
        max_page_size=100,
    )
    assert not query.projection.includes(GROUP.attribute("members"))
    assert query.projection.includes(GROUP.attribute("displayName"))


def test_list_response_numbers_are_integers() -> None:
    body = list_response([{"id": "a"}, {"id": "b"}], total_results=12, start_index=6)
    assert body == {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": 12,
        "startIndex": 6,
        "itemsPerPage": 2,
        "Resources": [{"id": "a"}, {"id": "b"}],
    }
    empty = list_response([], total_results=0, start_index=1)
    assert empty["Resources"] == [] and empty["itemsPerPage"] == 0
