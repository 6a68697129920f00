"""The PatchOp request message (RFC 7644 §3.5.2).

`parse_patch_request` validates the message and resolves every path before anything is applied,
so a bad operation anywhere rejects the whole request. A path-less `add` or `replace` (whose value
is an object whose keys are attribute paths, RFC 7644 §3.5.2.1) and an operation on a whole
extension URN are expanded into one operation per attribute.

Client leniencies:

* `op` is matched case-insensitively: Entra sends "Add", "Replace", "Remove".
* Member names of the message (`Operations`, `op`, `path`, `value`) are case-insensitive.
* The keys of a path-less value may be dotted or URN-qualified paths, as Entra sends them with
  `aadOptscim062020` (`{"name.givenName": ..., "urn:...:User:employeeNumber": ...}`).
* `schemas` is not checked: the endpoint already says the body is a PatchOp.
* An extension's object value may carry its own `schemas` member (scim2-models writes one): it
  is ignored, as it is in a POST or PUT body (`resource.parse_resource`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scim_server.protocol.attribute_values import find_key
from scim_server.protocol.errors import InvalidSyntax, InvalidValue, NoTarget
from scim_server.protocol.leniencies import Leniency, note
from scim_server.protocol.patch_path import PatchPath, parse_patch_path
from scim_server.protocol.registry import ResourceSchema

PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class PatchOpKind(enum.StrEnum):
    """The three PATCH operations (RFC 7644 §3.5.2.1 to §3.5.2.3)."""

    ADD = "add"
    REPLACE = "replace"
    REMOVE = "remove"


@dataclass(frozen=True)
class PatchOperation:
    """One operation with a resolved path; `value` is as sent (JSON).

    `pathless` marks an operation expanded from a path-less value: there, a readOnly attribute
    whose value is unchanged is ignored (Okta sends the group's own `id`).
    """

    op: PatchOpKind
    path: PatchPath
    value: Any = None
    has_value: bool = False
    pathless: bool = False


@dataclass(frozen=True)
class PatchRequest:
    """The operations of a PatchOp message, in request order."""

    operations: tuple[PatchOperation, ...]


def parse_patch_request(body: Any, schema: ResourceSchema) -> PatchRequest:
    """Validate a PatchOp body and resolve its paths, or raise a ScimError (400)."""
    if not isinstance(body, Mapping):
        raise InvalidSyntax("The PATCH body must be a PatchOp object.")
    operations = _member(body, "Operations")
    if not isinstance(operations, list):
        raise InvalidSyntax("The PatchOp message needs an 'Operations' array.")
    parsed: list[PatchOperation] = []
    for index, operation in enumerate(operations):
        if not isinstance(operation, Mapping):
            raise InvalidSyntax(f"Operation {index} is not an object.")
        parsed.extend(_parse_operation(operation, schema))
    return PatchRequest(tuple(parsed))


def _parse_operation(operation: Mapping[str, Any], schema: ResourceSchema) -> list[PatchOperation]:
    op_name = _member(operation, "op")
    try:
        op = PatchOpKind(op_name.lower() if isinstance(op_name, str) else op_name)
    except ValueError:
        raise InvalidSyntax(f"Unknown PATCH op {op_name!r}: use add, replace or remove.") from None
    if op_name != op.value:
        note(Leniency.PATCH_OP_CASE)
    path_text = _member(operation, "path")
    has_value = find_key(operation, "value") is not None
    value = _member(operation, "value")
    if op is not PatchOpKind.REMOVE and not has_value:
        raise InvalidValue(f"The {op.value} operation needs a value.")
    if path_text is None or path_text == "":
        if op is PatchOpKind.REMOVE:
            raise NoTarget("A remove operation needs a path.")
        return _expand(op, None, value, schema, pathless=True)
    path = parse_patch_path(path_text, schema)
    if path.attribute is None and op is not PatchOpKind.REMOVE:
        return _expand(op, path.extension, value, schema, pathless=False)
    return [PatchOperation(op, path, value, has_value)]


def _expand(
    op: PatchOpKind, extension: str | None, value: Any, schema: ResourceSchema, *, pathless: bool
) -> list[PatchOperation]:
    """One operation per key of an object value, each key a path (in `extension`, if given)."""
    if not isinstance(value, Mapping):
        where = extension or "a path-less operation"
        raise InvalidValue(f"The value of {where} must be an object of attribute values.")
    expanded: list[PatchOperation] = []
    for key, item in value.items():
        if extension and str(key).lower() == "schemas":
            continue
        if pathless and ("." in str(key) or str(key).lower().startswith("urn:")):
            note(Leniency.PATHLESS_DOTTED_KEYS)
        path = parse_patch_path(f"{extension}:{key}" if extension else str(key), schema)
        if path.attribute is None:
            expanded.extend(_expand(op, path.extension, item, schema, pathless=pathless))
        else:
            expanded.append(PatchOperation(op, path, item, True, pathless=pathless))
    return expanded


def _member(message: Mapping[str, Any], name: str) -> Any:
    """A member of the message by name, ignoring case (RFC 7644 spells `Operations`, `op`)."""
    key = find_key(message, name)
    if key is None:
        return None
    if key != name:
        note(Leniency.PATCH_MEMBER_CASE)
    return message[key]
