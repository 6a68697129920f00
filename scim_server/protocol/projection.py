"""Which attributes a response contains (RFC 7644 §3.4.2.5, §3.9; RFC 7643 §7 "returned").

* `returned: always` attributes (`id`, `schemas`) are always there, `never` (`password`) never;
* with `attributes`, a response holds the listed attributes (or sub-attributes) and the
  "always" ones; `request` attributes appear only when listed;
* with `excludedAttributes`, a response holds the default set minus the listed ones;
* otherwise, every attribute but `never` and `request` ones.

`Projection.includes` tells the store, before it reads anything, whether an attribute is wanted:
a group read with `excludedAttributes=members` (as Entra always does) never loads its members.
Names that no schema defines are ignored (RFC 7644 §3.9 does not make them an error).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scim_server.protocol.registry import AttributePath, ResourceSchema
from scim_server.protocol.schema import Attribute, Returned


def _key(attribute: Attribute) -> tuple[str, str]:
    return attribute.schema.lower(), attribute.name.lower()


@dataclass(frozen=True)
class Projection:
    """The `attributes` or `excludedAttributes` of a request, resolved.

    `attributes`/`excluded` hold attribute paths; `attribute_schemas`/`excluded_schemas` hold
    the (lowercased) URNs of whole schema extensions named in the same parameters.
    """

    attributes: tuple[AttributePath, ...] = ()
    excluded: tuple[AttributePath, ...] = ()
    attribute_schemas: frozenset[str] = frozenset()
    excluded_schemas: frozenset[str] = frozenset()

    @property
    def requested(self) -> bool:
        """Whether the request lists the attributes it wants (`attributes`)."""
        return bool(self.attributes or self.attribute_schemas)

    def _whole_schema(self, attribute: Attribute) -> bool:
        return attribute.in_extension and attribute.schema.lower() in self.attribute_schemas

    def includes(self, attribute: Attribute) -> bool:
        """Whether any part of a top-level attribute appears in the response."""
        if attribute.returned is Returned.NEVER:
            return False
        if attribute.returned is Returned.ALWAYS:
            return True
        if self.requested:
            return self._whole_schema(attribute) or any(
                _key(p.attribute) == _key(attribute) for p in self.attributes
            )
        if attribute.returned is Returned.REQUEST:
            return False
        if attribute.in_extension and attribute.schema.lower() in self.excluded_schemas:
            return False
        return not any(
            _key(p.attribute) == _key(attribute) and p.sub_attribute is None for p in self.excluded
        )

    def apply(self, resource: Mapping[str, Any], schema: ResourceSchema) -> dict[str, Any]:
        """The response form of `resource` (the full dict, with `id`, `meta`, `schemas`)."""
        output: dict[str, Any] = {}
        for key, value in resource.items():
            if isinstance(value, Mapping) and schema.is_extension_urn(key):
                inner = {
                    name: shown
                    for name, item in value.items()
                    if (attribute := schema.top_level(name, key)) is not None
                    and (shown := self._value(attribute, item)) is not None
                }
                if inner:
                    output[key] = inner
                continue
            attribute = schema.top_level(key)
            shown = self._value(attribute, value) if attribute is not None else None
            if shown is not None:
                output[key] = shown
        return output

    def _value(self, attribute: Attribute, value: Any) -> Any:
        if not self.includes(attribute):
            return None
        if not attribute.is_complex:
            return value
        paths = self.attributes if self.requested else self.excluded
        listed = [p for p in paths if _key(p.attribute) == _key(attribute)]
        named = {p.sub_attribute.name.lower() for p in listed if p.sub_attribute is not None}
        whole = self._whole_schema(attribute) or any(p.sub_attribute is None for p in listed)
        keep: Callable[[Attribute], bool]
        if self.requested and not whole:
            keep = lambda sub: sub.name.lower() in named and sub.returned is not Returned.NEVER  # noqa: E731
        else:
            left_out = set() if self.requested else named
            keep = lambda sub: (  # noqa: E731
                sub.returned not in (Returned.NEVER, Returned.REQUEST)
                and sub.name.lower() not in left_out
            )
        return _filtered(attribute, value, keep)


def _filtered(attribute: Attribute, value: Any, keep: Callable[[Attribute], bool]) -> Any:
    """The value with only the sub-attributes `keep` accepts (None when nothing is left)."""

    def one(item: Any) -> Any:
        if not isinstance(item, Mapping):
            return item
        return {
            k: v
            for k, v in item.items()
            if (sub := attribute.sub_attribute(k)) is None or keep(sub)
        }

    if isinstance(value, list):
        items = [one(item) for item in value]
        return [item for item in items if item != {}] or None
    return one(value) or None


def parse_projection(
    attributes: str | Sequence[str] | None,
    excluded: str | Sequence[str] | None,
    schema: ResourceSchema,
) -> Projection:
    """Resolve the `attributes` and `excludedAttributes` parameters (comma-separated or lists).

    When a client sends both, `attributes` wins (RFC 7644 §3.9 gives no meaning to the pair).
    """
    wanted, wanted_schemas = _paths(attributes, schema)
    if wanted or wanted_schemas:
        return Projection(attributes=wanted, attribute_schemas=wanted_schemas)
    left_out, left_out_schemas = _paths(excluded, schema)
    return Projection(excluded=left_out, excluded_schemas=left_out_schemas)


def _paths(
    value: str | Sequence[str] | None, schema: ResourceSchema
) -> tuple[tuple[AttributePath, ...], frozenset[str]]:
    if value is None:
        return (), frozenset()
    names: Iterable[str] = value.split(",") if isinstance(value, str) else value
    paths, schemas = [], set()
    for name in names:
        if not isinstance(name, str) or not name.strip():
            continue
        split = schema.split(name)
        if split.name is None and split.uri is not None:
            schemas.add(split.uri.lower())
        elif (path := schema.resolve(split)) is not None:
            paths.append(path)
    return tuple(paths), frozenset(schemas)
