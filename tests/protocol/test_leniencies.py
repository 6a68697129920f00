"""The leniencies a request needed are collected only while a caller asks (`noting`)."""

from __future__ import annotations

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.leniencies import DESCRIPTIONS, Leniency, codes, note, noting
from scim_server.protocol.patch_request import parse_patch_request
from scim_server.protocol.resource import parse_resource

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def test_every_leniency_is_described() -> None:
    assert set(DESCRIPTIONS) == set(Leniency)
    assert all(leniency.description for leniency in Leniency)


def test_nothing_is_collected_outside_a_noting_block_and_blocks_nest() -> None:
    note(Leniency.STRING_BOOLEAN)  # nobody asked: a no-op
    with noting() as outer:
        note(Leniency.PATCH_OP_CASE)
        with noting() as inner:
            note(Leniency.STRING_BOOLEAN)
        note(Leniency.PATCH_MEMBER_CASE)
    assert inner == {Leniency.STRING_BOOLEAN}
    assert outer == {Leniency.PATCH_OP_CASE, Leniency.PATCH_MEMBER_CASE}
    assert codes(outer) == "patch-member-case,patch-op-case"


def test_a_strict_request_needs_none() -> None:
    schema = load_registry().user
    with noting() as applied:
        parse_resource({"schemas": [USER_SCHEMA], "userName": "ada", "active": True}, schema)
        parse_patch_request(
            {"Operations": [{"op": "replace", "path": "title", "value": "x"}]}, schema
        )
    assert applied == set()


def test_entra_shapes_are_named() -> None:
    schema = load_registry().user
    with noting() as applied:
        parse_resource(
            {"userName": "ada", "active": "True", "department": "R&D", "favouriteColour": "red"},
            schema,
        )
    assert applied == {
        Leniency.STRING_BOOLEAN,
        Leniency.UNQUALIFIED_EXTENSION_ATTRIBUTE,
        Leniency.UNKNOWN_ATTRIBUTES_IGNORED,
    }
