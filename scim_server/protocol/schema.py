"""SCIM schema definitions as typed values (RFC 7643 §2.2, §7).

An `Attribute` carries the characteristics of one attribute or sub-attribute exactly as the
schema documents in `schemas/` state them; a `Schema` is one such document. Nothing
here knows an attribute by name: behaviour elsewhere is derived from these characteristics.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class AttributeType(enum.StrEnum):
    """The data types of RFC 7643 §2.3."""

    STRING = "string"
    BOOLEAN = "boolean"
    DECIMAL = "decimal"
    INTEGER = "integer"
    DATETIME = "dateTime"
    BINARY = "binary"
    REFERENCE = "reference"
    COMPLEX = "complex"


class Mutability(enum.StrEnum):
    """Whether and how an attribute can be modified (RFC 7643 §7, "mutability")."""

    READ_ONLY = "readOnly"
    READ_WRITE = "readWrite"
    IMMUTABLE = "immutable"
    WRITE_ONLY = "writeOnly"


class Returned(enum.StrEnum):
    """When an attribute is returned in a response (RFC 7643 §7, "returned")."""

    ALWAYS = "always"
    NEVER = "never"
    DEFAULT = "default"
    REQUEST = "request"


STRING_TYPES = frozenset({AttributeType.STRING, AttributeType.REFERENCE, AttributeType.BINARY})


@dataclass(frozen=True)
class Attribute:
    """One attribute or sub-attribute definition (RFC 7643 §7).

    `schema` is the URN of the schema that defines the attribute; `in_extension` says the value
    lives under that URN in a resource (RFC 7643 §3.3) rather than at the top level. `custom`
    marks an attribute of an extension that has no schema document (an Entra custom extension
    attribute): it is treated as a single-valued, case-insensitive string.
    """

    name: str
    type: AttributeType
    schema: str
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: Mutability = Mutability.READ_WRITE
    returned: Returned = Returned.DEFAULT
    uniqueness: str = "none"
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple[Attribute, ...] = ()
    in_extension: bool = False
    custom: bool = False
    _by_name: Mapping[str, Attribute] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )
    _references_resources: bool = field(default=False, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {a.name.lower(): a for a in self.sub_attributes})
        # Derived once: the characteristics never change, and this is asked per value written.
        ref = self._by_name.get("$ref")
        object.__setattr__(
            self,
            "_references_resources",
            ref is not None and any(t not in ("external", "uri") for t in ref.reference_types),
        )

    def sub_attribute(self, name: str) -> Attribute | None:
        """The sub-attribute called `name`, compared case-insensitively (RFC 7643 §2.1)."""
        return self._by_name.get(name.lower())

    @property
    def is_complex(self) -> bool:
        return self.type is AttributeType.COMPLEX

    @property
    def writable(self) -> bool:
        """Whether a client may assign a value (readWrite, immutable or writeOnly)."""
        return self.mutability is not Mutability.READ_ONLY

    @property
    def references_resources(self) -> bool:
        """A complex attribute whose `$ref` points at SCIM resources (manager, members).

        Its `value` is the id of a resource of this service provider (RFC 7643 §2.3.7,
        referenceTypes naming a resource type rather than "external" or "uri").
        """
        return self._references_resources

    @classmethod
    def from_document(
        cls, document: Mapping[str, Any], schema: str, *, in_extension: bool
    ) -> Attribute:
        """Build an attribute from its JSON definition in a schema document (RFC 7643 §7)."""
        return cls(
            name=document["name"],
            type=AttributeType(document["type"]),
            schema=schema,
            multi_valued=bool(document.get("multiValued", False)),
            required=bool(document.get("required", False)),
            case_exact=bool(document.get("caseExact", False)),
            mutability=Mutability(document.get("mutability", "readWrite")),
            returned=Returned(document.get("returned", "default")),
            uniqueness=str(document.get("uniqueness", "none")),
            canonical_values=tuple(document.get("canonicalValues", ())),
            reference_types=tuple(document.get("referenceTypes", ())),
            sub_attributes=tuple(
                cls.from_document(sub, schema, in_extension=in_extension)
                for sub in document.get("subAttributes", ())
            ),
            in_extension=in_extension,
        )


@dataclass(frozen=True)
class Schema:
    """A schema document: its URN and its attributes (RFC 7643 §7)."""

    id: str
    name: str
    attributes: tuple[Attribute, ...]
    _by_name: Mapping[str, Attribute] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {a.name.lower(): a for a in self.attributes})

    def attribute(self, name: str) -> Attribute | None:
        """The attribute called `name`, compared case-insensitively (RFC 7643 §2.1)."""
        return self._by_name.get(name.lower())

    @classmethod
    def from_document(cls, document: Mapping[str, Any], *, in_extension: bool) -> Schema:
        """Build a schema from a document as served by /Schemas (RFC 7643 §7)."""
        schema_id = str(document["id"])
        attributes: Sequence[Mapping[str, Any]] = document["attributes"]
        return cls(
            id=schema_id,
            name=str(document.get("name", "")),
            attributes=tuple(
                Attribute.from_document(a, schema_id, in_extension=in_extension) for a in attributes
            ),
        )


def custom_attribute(schema: str, name: str) -> Attribute:
    """An attribute of an extension without a schema document, kept as a string.

    Entra's custom extension attributes (`urn:ietf:params:scim:schemas:extension:<Name>:2.0:User:
    <attr>`) arrive without any schema; their values are stored and returned as sent.
    """
    return Attribute(
        name=name, type=AttributeType.STRING, schema=schema, in_extension=True, custom=True
    )
