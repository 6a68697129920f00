"""Which client leniencies a request needed: the places where the protocol layer accepts what
RFC 7643/7644 would refuse, because Microsoft Entra ID (or Okta) sends it.

Each leniency is applied where the protocol layer meets it (`values`, `patch_request`, `patch`,
`members`, `registry`, `resource`, `filter_lexer`) and is *noted* there with `note`. Nothing is
collected unless a caller asked with `noting()`: the HTTP edge does, for each write, so that
the provisioning activity can say "accepted `active: "True"` as a boolean" beside the request.

Cost: `note` runs only on the lenient branch, and is one context-variable read (and a set
insertion when collecting). The strict path pays nothing. A context variable rather than a
global keeps concurrent requests (threads, greenlets) apart.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Leniency(enum.StrEnum):
    """A client deviation the service accepts; the value is the code stored with the activity."""

    STRING_BOOLEAN = "string-boolean"
    EMPTY_STRING_AS_NULL = "empty-string-as-null"
    STRING_AS_COMPLEX = "string-as-complex"
    ARRAY_AS_SINGLE_VALUE = "array-as-single-value"
    SINGLE_VALUE_AS_ARRAY = "single-value-as-array"
    PATCH_OP_CASE = "patch-op-case"
    PATCH_MEMBER_CASE = "patch-member-case"
    PATHLESS_DOTTED_KEYS = "pathless-dotted-keys"
    UNQUALIFIED_EXTENSION_ATTRIBUTE = "unqualified-extension-attribute"
    SCHEMA_URI_TYPO = "schema-uri-typo"
    UNKNOWN_ATTRIBUTES_IGNORED = "unknown-attributes-ignored"
    REMOVE_WITH_VALUE = "remove-with-value"
    REMOVE_MATCHED_NOTHING = "remove-matched-nothing"
    FILTERED_VALUE_CREATED = "filtered-value-created"
    UNQUOTED_FILTER_VALUE = "unquoted-filter-value"

    @property
    def description(self) -> str:
        """What was accepted, in words an administrator reads."""
        return DESCRIPTIONS[self]


DESCRIPTIONS: dict[Leniency, str] = {
    Leniency.STRING_BOOLEAN: 'a boolean sent as the string "True" or "False" (Entra\'s active)',
    Leniency.EMPTY_STRING_AS_NULL: '"" for a non-string attribute, taken as no value (Entra)',
    Leniency.STRING_AS_COMPLEX: "a plain string for a complex attribute such as manager",
    Leniency.ARRAY_AS_SINGLE_VALUE: "a one-element array for a single-valued attribute",
    Leniency.SINGLE_VALUE_AS_ARRAY: "a single value for a multi-valued attribute",
    Leniency.PATCH_OP_CASE: 'a PATCH op not in lower case ("Add", "Replace", "Remove")',
    Leniency.PATCH_MEMBER_CASE: 'PatchOp member names in another case ("operations", "Op")',
    Leniency.PATHLESS_DOTTED_KEYS: "dotted or URN-qualified keys in a path-less PATCH value",
    Leniency.UNQUALIFIED_EXTENSION_ATTRIBUTE: (
        "an extension attribute without its schema URN (manager, department)"
    ),
    Leniency.SCHEMA_URI_TYPO: 'the enterprise schema URI misspelt "...:2.0User" (Entra)',
    Leniency.UNKNOWN_ATTRIBUTES_IGNORED: "attributes no schema defines, ignored",
    Leniency.REMOVE_WITH_VALUE: "a remove with a value: only those values go (Entra's legacy form)",
    Leniency.REMOVE_MATCHED_NOTHING: "a remove whose filter matched nothing, as a no-op",
    Leniency.FILTERED_VALUE_CREATED: (
        'a PATCH to emails[type eq "work"].value that created the missing value'
    ),
    Leniency.UNQUOTED_FILTER_VALUE: "a filter value without quotes (externalId eq jyoung)",
}

_applied: ContextVar[set[Leniency] | None] = ContextVar("scim_leniencies", default=None)


def note(leniency: Leniency) -> None:
    """Say that a leniency was applied (kept only while a caller is `noting()`)."""
    applied = _applied.get()
    if applied is not None:
        applied.add(leniency)


@contextmanager
def noting() -> Iterator[set[Leniency]]:
    """Collect the leniencies noted inside the block into the set yielded.

    Blocks nest: an inner block (one operation of a /Bulk request) collects its own, and the
    outer block's set is left as it was.
    """
    applied: set[Leniency] = set()
    token = _applied.set(applied)
    try:
        yield applied
    finally:
        _applied.reset(token)


def codes(applied: set[Leniency]) -> str:
    """The leniencies as stored: their codes, sorted, comma-separated ("" for none)."""
    return ",".join(sorted(applied))
