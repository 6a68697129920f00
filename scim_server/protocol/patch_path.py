"""The "path" of a PATCH operation (RFC 7644 §3.5.2).

    PATH = attrPath / valuePath [subAttr]

`emails[type eq "work"].value` is parsed with the filter grammar (the value filter is a
`filter_ast` tree over the sub-attributes of `emails`); a plain `name.givenName` or
`urn:...:enterprise:2.0:User:manager` needs no grammar. A bare extension URN names the whole
extension. A path that cannot be parsed or names no attribute is a 400 `invalidPath`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scim2_filter_parser import ast

from scim_server.protocol.errors import InvalidFilter, InvalidPath
from scim_server.protocol.filter_ast import Filter
from scim_server.protocol.filter_parser import FilterBuilder, parse_tree
from scim_server.protocol.registry import ResourceSchema
from scim_server.protocol.schema import Attribute


@dataclass(frozen=True)
class PatchPath:
    """A resolved PATCH path: an attribute, an optional value filter and sub-attribute.

    `attribute` is None only when `extension` names a whole schema extension.
    """

    attribute: Attribute | None
    sub_attribute: Attribute | None = None
    value_filter: Filter | None = None
    extension: str | None = None

    def __str__(self) -> str:
        if self.attribute is None:
            return str(self.extension)
        name = self.attribute.name
        if self.value_filter is not None:
            name += "[...]"
        if self.sub_attribute is not None:
            name += "." + self.sub_attribute.name
        return f"{self.attribute.schema}:{name}" if self.attribute.in_extension else name


def parse_patch_path(text: str, schema: ResourceSchema) -> PatchPath:
    """Resolve a PATCH path against the resource type, or raise InvalidPath."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidPath("The path must be a non-empty string.")
    split = schema.split(text)
    if split.name is None and split.uri is not None:
        return PatchPath(None, extension=split.uri)
    if "[" not in text:
        resolved = schema.resolve(split)
        if resolved is None:
            raise InvalidPath(f"The path {text!r} names no attribute of {schema.name}.")
        return PatchPath(resolved.attribute, resolved.sub_attribute)
    try:
        return _value_path(text, schema)
    except InvalidFilter as error:
        raise InvalidPath(f"Invalid path {text!r}: {error.detail}") from None


def _value_path(text: str, schema: ResourceSchema) -> PatchPath:
    # Parse "<path> pr" as a filter; a valid path leaves exactly one presence test.
    tree = parse_tree(f"{text} pr")
    expression = tree.expr if not tree.negated and tree.namespace is None else None
    if not isinstance(expression, ast.AttrExpr) or not isinstance(
        expression.attr_path.attr_name, ast.Filter
    ):
        raise InvalidPath(f"Invalid path {text!r}.")
    value_path: Any = expression.attr_path.attr_name
    namespace = value_path.namespace
    builder = FilterBuilder(schema)
    parent = builder.resolve(ast.AttrPath(namespace.attr_name, None, namespace.uri))
    attribute = parent.attribute
    if parent.sub_attribute is not None or not attribute.is_complex:
        raise InvalidPath(f"{parent} has no sub-attributes to filter on.")
    condition = FilterBuilder(schema, attribute).filter(value_path.expr)
    sub = None
    if namespace.sub_attr is not None:
        sub = attribute.sub_attribute(namespace.sub_attr.value)
        if sub is None:
            raise InvalidPath(
                f"{attribute.name} has no sub-attribute {namespace.sub_attr.value!r}."
            )
    return PatchPath(attribute, sub, condition)
