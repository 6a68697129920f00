"""Evaluating filters in memory (RFC 7644 §3.4.2.2), as PATCH value paths and tests use it."""

from __future__ import annotations

from typing import Any

import pytest

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.filter_ast import ValuePath
from scim_server.protocol.filter_eval import matches, matches_value
from scim_server.protocol.filter_parser import parse_filter

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"
BJENSEN: dict[str, Any] = {
    "id": "2819c223-7f76-453a-919d-413861904646",
    "externalId": "Bjensen",
    "userName": "bjensen@example.com",
    "name": {"familyName": "Jensen", "givenName": "Barbara"},
    "title": "",
    "active": True,
    "emails": [
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home"},
    ],
    "meta": {"created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z"},
    ENTERPRISE: {"department": "Tour Operations", "manager": {"value": "26118915"}},
    CUSTOM: {"costCenter": "CC-42", "clearance": 3},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "BJENSEN@example.com"', True),  # caseExact false (RFC 7643 §4.1.1)
        ('externalId eq "bjensen"', False),  # caseExact true
        ('externalId eq "Bjensen"', True),
        ('userName sw "bjen"', True),
        ('userName ew "EXAMPLE.COM"', True),
        ('userName co "@"', True),
        ('userName co "%"', False),
        ('userName gt "a"', True),
        ('userName lt "b"', False),
        ('name.familyName eq "jensen"', True),
        ('emails.value ew ".org"', True),
        ('emails[type eq "work" and value ew ".org"]', False),
        ('emails[type eq "home" and value ew ".org"]', True),
        ('emails[type eq "work"].value eq "bjensen@example.com"', True),
        ('emails[primary eq true].type eq "home"', False),
        ('not (emails[type eq "other"])', True),
        ("emails pr", True),
        ("phoneNumbers pr", False),
        ("title pr", False),  # an empty string is not present
        ("title eq null", True),
        ('title eq ""', True),
        ("active eq true", True),
        ('active ne "False"', True),
        ('meta.lastModified gt "2011-05-13T04:42:33Z"', True),
        ('meta.lastModified ge "2011-05-13T06:42:34+02:00"', True),
        ('meta.lastModified gt "2011-05-13T06:42:34+02:00"', False),
        ('manager eq "26118915"', True),
        ('department sw "tour"', True),
        (f'{CUSTOM}:costCenter eq "cc-42"', True),
        (f"{CUSTOM}:CostCenter pr", True),
        (f'{CUSTOM}:clearance eq "3"', False),  # a number is not the string "3"
        ('nickName ne "Babs"', False),  # an absent attribute matches no comparison
        ('not (nickName eq "Babs")', True),
        ('userName eq "x" or active eq true and name.givenName sw "Bar"', True),
    ],
)
def test_matches(text: str, expected: bool) -> None:
    assert matches(parse_filter(text, load_registry().user), BJENSEN) is expected


def test_matches_one_value_of_a_multi_valued_attribute() -> None:
    condition = parse_filter('emails[type eq "work"]', load_registry().user)
    assert isinstance(condition, ValuePath)
    inner = condition.filter
    assert matches_value(inner, {"type": "Work", "value": "x"})
    assert not matches_value(inner, {"type": "home"})
    assert not matches_value(inner, {})
