"""Versions and conditional requests (RFC 7644 §3.14)."""

from __future__ import annotations

import pytest

from scim_server.protocol.errors import NotModified, PreconditionFailed
from scim_server.protocol.etag import check_preconditions, etag


def test_weak_etag_from_version() -> None:
    assert etag(7) == 'W/"7"'


@pytest.mark.parametrize("header", ['W/"7"', '"7"', '"3", W/"7"', "*", "7"])
def test_if_match_holds(header: str) -> None:
    check_preconditions(7, if_match=header, if_none_match=None, read=False)


@pytest.mark.parametrize("header", ['W/"6"', '"8", W/"6"', "6"])
def test_if_match_fails_with_412(header: str) -> None:
    with pytest.raises(PreconditionFailed) as caught:
        check_preconditions(7, if_match=header, if_none_match=None, read=False)
    assert caught.value.to_body()["status"] == "412"


def test_if_none_match_on_read_is_304() -> None:
    with pytest.raises(NotModified):
        check_preconditions(7, if_match=None, if_none_match='W/"7"', read=True)
    check_preconditions(7, if_match=None, if_none_match='W/"6"', read=True)


def test_if_none_match_on_write_is_412() -> None:
    with pytest.raises(PreconditionFailed):
        check_preconditions(7, if_match=None, if_none_match="*", read=False)
    check_preconditions(7, if_match=None, if_none_match='W/"6"', read=False)


def test_no_headers_no_conditions() -> None:
    check_preconditions(1, if_match=None, if_none_match=None, read=True)
