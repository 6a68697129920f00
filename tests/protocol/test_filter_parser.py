"""Parsing filters into the typed tree (RFC 7644 §3.4.2.2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.errors import InvalidFilter
from scim_server.protocol.filter_ast import (
    And,
    CompareOp,
    Comparison,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
)
from scim_server.protocol.filter_parser import parse_filter
from scim_server.protocol.registry import AttributePath, ResourceSchema

USER: ResourceSchema = load_registry().user
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def path(text: str) -> AttributePath:
    resolved = USER.resolve_text(text)
    assert resolved is not None
    return resolved


def eq(text: str, value: object) -> Comparison:
    return Comparison(path(text), CompareOp.EQ, value)  # type: ignore[arg-type]


def emails(condition: Filter) -> ValuePath:
    return ValuePath(path("emails"), condition)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "bjensen"', eq("userName", "bjensen")),
        ('UserName Eq "bjensen"', eq("userName", "bjensen")),
        (
            'name.familyName co "O\'Malley"',
            Comparison(path("name.familyName"), CompareOp.CO, "O'Malley"),
        ),
        ("title pr", Present(path("title"))),
        (
            'title pr and userType eq "Employee"',
            And((Present(path("title")), eq("userType", "Employee"))),
        ),
        (
            'title pr or userType eq "Intern"',
            Or((Present(path("title")), eq("userType", "Intern"))),
        ),
        (
            'userType ne "Employee" and '
            'not (emails co "example.com" or emails.value co "example.org")',
            And(
                (
                    Comparison(path("userType"), CompareOp.NE, "Employee"),
                    Not(
                        Or(
                            (
                                emails(
                                    Comparison(path("emails.value"), CompareOp.CO, "example.com")
                                ),
                                emails(
                                    Comparison(path("emails.value"), CompareOp.CO, "example.org")
                                ),
                            )
                        )
                    ),
                )
            ),
        ),
        (
            'emails[type eq "work" and value co "@example.com"]',
            emails(
                And(
                    (
                        eq("emails.type", "work"),
                        Comparison(path("emails.value"), CompareOp.CO, "@example.com"),
                    )
                )
            ),
        ),
        (
            'meta.lastModified gt "2011-05-13T04:42:34Z"',
            Comparison(
                path("meta.lastModified"),
                CompareOp.GT,
                datetime(2011, 5, 13, 4, 42, 34, tzinfo=UTC),
            ),
        ),
        (f'{ENTERPRISE}:manager.value eq "26118915"', eq("manager.value", "26118915")),
        ("active eq true", eq("active", True)),
        ("emails[primary eq false]", emails(eq("emails.primary", False))),
        ("title eq null", Not(Present(path("title")))),
        ("title ne null", Present(path("title"))),
    ],
)
def test_rfc_examples(text: str, expected: Filter) -> None:
    assert parse_filter(text, USER) == expected


def test_and_binds_tighter_than_or() -> None:
    a, b, c = eq("userName", "a"), eq("title", "b"), eq("nickName", "c")
    assert parse_filter('userName eq "a" or title eq "b" and nickName eq "c"', USER) == Or(
        (a, And((b, c)))
    )
    assert parse_filter('userName eq "a" and title eq "b" or nickName eq "c"', USER) == Or(
        (And((a, b)), c)
    )
    assert parse_filter('(userName eq "a" or title eq "b") and nickName eq "c"', USER) == And(
        (Or((a, b)), c)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("externalId eq jyoung", eq("externalId", "jyoung")),
        (
            "emails.Value co example.com",
            emails(Comparison(path("emails.value"), CompareOp.CO, "example.com")),
        ),
        ("userName sw O", Comparison(path("userName"), CompareOp.SW, "O")),
        ("userName eq jdoe@contoso.com", eq("userName", "jdoe@contoso.com")),
        ('manager eq "26118915"', eq("manager.value", "26118915")),
        ('id eq "x" and manager eq "y"', And((eq("id", "x"), eq("manager.value", "y")))),
        (
            'emails[type eq "work"].value eq "b@x.org"',
            emails(And((eq("emails.type", "work"), eq("emails.value", "b@x.org")))),
        ),
        ('roles[primary eq "True"]', ValuePath(path("roles"), eq("roles.primary", True))),
        ("employeeNumber eq 701984", eq("employeeNumber", "701984")),
        ('userName eq "a\\"b\\u00e9"', eq("userName", 'a"b\u00e9')),
        ('userName eq "nullable"', eq("userName", "nullable")),
        ("userName eq nullable", eq("userName", "nullable")),
    ],
)
def test_client_leniencies(text: str, expected: Filter) -> None:
    assert parse_filter(text, USER) == expected


def test_members_eq_on_groups() -> None:
    group = load_registry().group
    members_value = group.resolve_text("members.value")
    members = group.resolve_text("members")
    assert members_value is not None and members is not None
    assert parse_filter('members eq "u1"', group) == ValuePath(
        members, Comparison(members_value, CompareOp.EQ, "u1")
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "userName",
        "userName eq",
        'userName equals "x"',
        'userName eq "x" and',
        '(userName eq "x"',
        'userName eq "unterminated',
        'favouriteColour eq "blue"',
        'name eq "x"',
        "active gt true",
        'active eq "yes"',
        'active co "t"',
        'meta.lastModified gt "yesterday"',
        'meta.lastModified co "2011"',
        "userName eq true",
        "userName gt null",
        'emails[type eq "work" and emails[value pr]]',
        'emails[nosuch eq "x"]',
        'userName eq "x"and title pr',
        'userName eq "a"b',
        'x509Certificates.value gt "a"',
        "(" * 40 + "userName pr" + ")" * 40,
        'userName eq "x" ' + 'or userName eq "y" ' * 400,
    ],
)
def test_invalid_filters(text: str) -> None:
    with pytest.raises(InvalidFilter):
        parse_filter(text, USER)
