"""Resource types and attribute paths (RFC 7643 §2.1, §3.3, §6; RFC 7644 §3.10).

A `ResourceSchema` is one resource type (User, Group) with its core schema, its schema
extensions and the common attributes of RFC 7643 §3.1. It resolves attribute names and paths:

* names are case-insensitive (RFC 7643 §2.1);
* a path may be qualified by its schema URN, `urn:...:enterprise:2.0:User:manager.value`
  (RFC 7644 §3.10);
* a bare name that only an extension defines (`manager`, `department`, `employeeNumber`)
  resolves to that extension when exactly one extension has it (an Entra leniency: the 2019
  documentation and the reference Postman collection send them unqualified);
* a URN that ends with the resource type's name but has no schema document
  (`urn:ietf:params:scim:schemas:extension:<Name>:2.0:User`) is a custom extension, whose
  attributes are schemaless strings (Entra custom extension attributes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from scim_server.protocol.leniencies import Leniency, note
from scim_server.protocol.schema import Attribute, Schema, custom_attribute

# Entra's older engine sends this typo (a colon missing before "User") in `schemas`.
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCHEMA_ALIASES = {"urn:ietf:params:scim:schemas:extension:enterprise:2.0user": ENTERPRISE_USER}
# Resolutions remembered per resource type: the schemas never change in a process, and every
# value read or written resolves its name. Bounded, since clients choose the names.
MEMO_LIMIT = 4096
_MISSING = object()
T = TypeVar("T")


@dataclass(frozen=True)
class AttributePath:
    """A resolved attribute, optionally narrowed to one of its sub-attributes (RFC 7644 §3.10)."""

    attribute: Attribute
    sub_attribute: Attribute | None = None

    @property
    def leaf(self) -> Attribute:
        """The attribute whose values the path designates."""
        return self.sub_attribute or self.attribute

    def __str__(self) -> str:
        name = self.attribute.name
        if self.sub_attribute is not None:
            name = f"{name}.{self.sub_attribute.name}"
        return f"{self.attribute.schema}:{name}" if self.attribute.in_extension else name


@dataclass(frozen=True)
class PathText:
    """An attribute path split into its parts, not yet resolved against a schema."""

    uri: str | None
    name: str | None  # None: the path names a whole schema extension
    sub: str | None = None


def split_path(text: str) -> PathText:
    """Split `[URI ":"] ATTRNAME ["." subAttr]` (RFC 7644 §3.10) without resolving it."""
    text = text.strip()
    if text.lower().startswith("urn:"):
        uri, _, rest = text.rpartition(":")
        name, _, sub = rest.partition(".")
        return PathText(uri, name, sub or None)
    name, _, sub = text.partition(".")
    return PathText(None, name, sub or None)


@dataclass(frozen=True)
class ResourceSchema:
    """A resource type with its schemas (RFC 7643 §6) and the common attributes (§3.1)."""

    name: str
    endpoint: str
    core: Schema
    extensions: tuple[Schema, ...]
    common: Schema
    _memo: dict[tuple[str, str | None, str | None], Any] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )

    def remembered(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()`, worked out once per resource type and process (a schema-derived fact)."""
        found = self._memo.get((name, None, None), _MISSING)
        if found is _MISSING:
            found = self._memo[name, None, None] = compute()
        return cast(T, found)

    def _remember(self, key: tuple[str, str | None, str | None], value: Any) -> Any:
        if len(self._memo) < MEMO_LIMIT:
            self._memo[key] = value
        return value

    def canonical_urn(self, urn: str) -> str | None:
        """The schema URN that `urn` names for this resource type, or None.

        Known schemas come back in their canonical spelling; a custom extension URN (one that
        ends with `:<resource type name>`) comes back as given.
        """
        _note_alias(urn)
        found = self._memo.get(("urn", urn, None), _MISSING)
        if found is not _MISSING:
            return cast(str | None, found)
        return cast(str | None, self._remember(("urn", urn, None), self._canonical_urn(urn)))

    def _canonical_urn(self, urn: str) -> str | None:
        lowered = SCHEMA_ALIASES.get(urn.lower(), urn).lower()
        for schema in (self.core, *self.extensions):
            if schema.id.lower() == lowered:
                return schema.id
        if lowered.startswith("urn:") and lowered.endswith(":" + self.name.lower()):
            return urn
        return None

    def extension(self, urn: str) -> Schema | None:
        """The extension schema with this URN (known extensions only)."""
        canonical = self.canonical_urn(urn)
        return next((s for s in self.extensions if s.id == canonical), None)

    def is_extension_urn(self, urn: str) -> bool:
        """Whether `urn` names an extension of this resource type, known or custom."""
        canonical = self.canonical_urn(urn)
        return canonical is not None and canonical != self.core.id

    def top_level(self, name: str, uri: str | None = None) -> Attribute | None:
        """The top-level attribute called `name`, in schema `uri` or found unqualified."""
        if uri is not None:
            _note_alias(uri)
        found = self._memo.get(("top", name, uri), _MISSING)
        if found is not _MISSING:
            return cast(Attribute | None, found)
        return cast(
            Attribute | None, self._remember(("top", name, uri), self._top_level(name, uri))
        )

    def _top_level(self, name: str, uri: str | None) -> Attribute | None:
        if uri is None:
            found = self.common.attribute(name) or self.core.attribute(name)
            if found is not None:
                return found
            candidates = [a for s in self.extensions if (a := s.attribute(name)) is not None]
            return candidates[0] if len(candidates) == 1 else None
        canonical = self.canonical_urn(uri)
        if canonical is None:
            return None
        if canonical == self.core.id:
            return self.core.attribute(name) or self.common.attribute(name)
        extension = self.extension(canonical)
        if extension is not None:
            return extension.attribute(name)
        return custom_attribute(canonical, name)

    def resolve(self, path: PathText) -> AttributePath | None:
        """Resolve a split path, or None when the schema does not define it."""
        if path.name is None:
            return None
        attribute = self.top_level(path.name, path.uri)
        if attribute is None:
            return None
        if path.uri is None and attribute.in_extension:
            note(Leniency.UNQUALIFIED_EXTENSION_ATTRIBUTE)
        if path.sub is None:
            return AttributePath(attribute)
        sub = attribute.sub_attribute(path.sub)
        return None if sub is None else AttributePath(attribute, sub)

    def split(self, text: str) -> PathText:
        """Split a path written as text; a bare extension URN names the whole extension."""
        canonical = self.canonical_urn(text.strip())
        if canonical is not None and canonical != self.core.id:
            return PathText(canonical, None)
        return split_path(text)

    def resolve_text(self, text: str) -> AttributePath | None:
        """Resolve a path written as text (`name.givenName`, `urn:...:User:manager`)."""
        return self.resolve(self.split(text))

    def attribute(self, name: str) -> Attribute:
        """A top-level attribute this resource type is known to define (a lookup by the code)."""
        found = self.top_level(name)
        if found is None:
            raise KeyError(f"{self.name} has no attribute {name!r}")
        return found

    def attributes(self) -> tuple[Attribute, ...]:
        """Every top-level attribute: common, core, then each extension's."""
        found = self._memo.get(("attributes", None, None))
        if found is None:
            found = self._memo["attributes", None, None] = (
                self.common.attributes
                + self.core.attributes
                + tuple(a for s in self.extensions for a in s.attributes)
            )
        return cast(tuple[Attribute, ...], found)


def _note_alias(urn: str) -> None:
    """Note a misspelt schema URN on every request that uses it: resolutions are remembered
    per process, so the note cannot ride on working the resolution out."""
    if urn.lower() in SCHEMA_ALIASES:
        note(Leniency.SCHEMA_URI_TYPO)
