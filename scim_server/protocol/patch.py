"""Apply a PatchOp request to a resource (RFC 7644 §3.5.2).

Operations run in order on a deep copy; the caller stores the result only if every operation
succeeded, so a PATCH is all-or-nothing. Each operation goes to a handler chosen from a table by
(op, target), where the target is a whole attribute, one sub-attribute, or the values a value
filter selects; what a handler does depends on the attribute's characteristics in the schema
documents (multiValued, type, mutability), never on its name.

* add (§3.5.2.1): a multi-valued attribute gains the values it lacks; a complex attribute gains
  or overwrites the given sub-attributes; any other attribute takes the value.
* replace (§3.5.2.3): a multi-valued attribute takes the given values; a complex attribute
  merges the given sub-attributes (others are left unchanged); null or "" unassigns.
* remove (§3.5.2.2): the attribute, the sub-attribute, or the selected values go. With a value
  (Entra's legacy form), only the given values go, matched by their `value` sub-attribute; for
  `manager` that means "only if it is still this manager" (Entra's reference server).
* readOnly targets are `mutability` errors, except in a path-less value, where an unchanged value
  is ignored (Okta sends the group's own `id`); immutable values cannot change; writeOnly values
  are discarded (no passwords are kept); required attributes must keep a value.

Deviations for clients: a `remove` whose filter selects nothing is a no-op rather than
`noTarget`, so Entra's retries after a timeout succeed; an add or replace whose filter of
equalities selects nothing creates the value (see `multi_valued`). Member changes come out as a
`MemberDelta` and never read the current members.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scim_server.protocol.attribute_values import copy_json, find_key, get_value, set_value
from scim_server.protocol.errors import Mutability, NoTarget
from scim_server.protocol.filter_eval import matches_value
from scim_server.protocol.leniencies import Leniency, note
from scim_server.protocol.limits import check_indexed_lengths
from scim_server.protocol.members import MemberDelta, MemberDeltaBuilder, apply_member_operation
from scim_server.protocol.multi_valued import check_single_primary, keep_primary, value_from_filter
from scim_server.protocol.patch_request import PatchOperation, PatchOpKind, PatchRequest
from scim_server.protocol.references import referenced_ids
from scim_server.protocol.registry import ResourceSchema
from scim_server.protocol.resource import check_required
from scim_server.protocol.schema import Attribute
from scim_server.protocol.schema import Mutability as Mutable
from scim_server.protocol.values import UNASSIGNED, coerce, coerce_item, coerce_simple


@dataclass(frozen=True)
class PatchResult:
    """The patched resource and what changed.

    `changed` says whether the resource dict changed (a PATCH that changes nothing keeps the
    version and lastModified); whether `members` changed anything only the store can tell.
    `referenced_ids` are ids that now must name users of the same organisation: a new manager
    and the members joining.
    """

    resource: dict[str, Any]
    changed: bool
    members: MemberDelta
    referenced_ids: frozenset[str]


class Target(enum.Enum):
    WHOLE = "whole"
    SUB_ATTRIBUTE = "sub-attribute"
    SELECTED = "selected"


def apply_patch(
    resource: Mapping[str, Any], request: PatchRequest, schema: ResourceSchema
) -> PatchResult:
    """Apply `request` to a copy of `resource` (the stored dict, with its `id`)."""
    original = dict(resource)  # only read: the operations change `working`, a deep copy
    working = copy_json(original)
    members = MemberDeltaBuilder()
    for operation in request.operations:
        _apply(working, operation, members)
    check_required(working, schema)
    check_indexed_lengths(working, schema)
    delta = members.build()
    new_references = referenced_ids(working, schema) - referenced_ids(original, schema)
    return PatchResult(working, working != original, delta, delta.referenced_ids | new_references)


def _apply(
    resource: dict[str, Any], operation: PatchOperation, members: MemberDeltaBuilder
) -> None:
    path = operation.path
    attribute = path.attribute
    if attribute is None:  # remove a whole extension (add and replace were expanded)
        key = find_key(resource, str(path.extension))
        if key is not None:
            del resource[key]
        return
    if not _permitted(resource, operation, attribute):
        return
    if attribute.references_resources and attribute.multi_valued:
        apply_member_operation(operation, attribute, members)
        return
    if path.value_filter is not None:
        target = Target.SELECTED
    else:
        target = Target.SUB_ATTRIBUTE if path.sub_attribute is not None else Target.WHOLE
    _HANDLERS[operation.op, target](resource, operation, attribute)


def _permitted(resource: dict[str, Any], operation: PatchOperation, attribute: Attribute) -> bool:
    """Check mutability (RFC 7643 §2.2); False means "ignore this operation"."""
    leaf = operation.path.sub_attribute or attribute
    if not attribute.writable or not leaf.writable:
        current = get_value(resource, attribute)
        if operation.pathless and (current is None or current == operation.value):
            return False
        raise Mutability(f"{operation.path} is readOnly.")
    if Mutable.WRITE_ONLY in (attribute.mutability, leaf.mutability):
        return False
    if attribute.mutability is Mutable.IMMUTABLE:
        current = get_value(resource, attribute)
        new = None if operation.op is PatchOpKind.REMOVE else operation.value
        if current is not None and coerce(attribute, new, attribute.name) != current:
            raise Mutability(f"{operation.path} is immutable.")
    return True


def _set_whole(resource: dict[str, Any], operation: PatchOperation, attribute: Attribute) -> None:
    where = str(operation.path)
    new = coerce(attribute, operation.value, where)
    current = get_value(resource, attribute)
    if new is UNASSIGNED:
        if not (attribute.multi_valued and operation.op is PatchOpKind.ADD):
            set_value(resource, attribute, None)
        return
    if attribute.multi_valued:
        check_single_primary(attribute, new, where)
        if operation.op is PatchOpKind.REPLACE:
            set_value(resource, attribute, new)
            return
        items = copy_json(current) if isinstance(current, list) else []
        added = []
        for item in new:
            if item not in items:
                items.append(item)
                added.append(len(items) - 1)
        keep_primary(attribute, items, added)
        set_value(resource, attribute, items)
    elif attribute.is_complex and isinstance(current, dict):
        _store(resource, attribute, [{**current, **new}])
    else:
        set_value(resource, attribute, new)


def _remove_whole(
    resource: dict[str, Any], operation: PatchOperation, attribute: Attribute
) -> None:
    value = operation.value
    if not (attribute.is_complex and operation.has_value and value not in (None, "", [])):
        set_value(resource, attribute, None)
        return
    note(Leniency.REMOVE_WITH_VALUE)
    given = coerce(attribute, value, str(operation.path))
    givens = given if isinstance(given, list) else [given]
    key = attribute.sub_attribute("value")
    current = get_value(resource, attribute)
    items = current if isinstance(current, list) else [current] if current is not None else []
    kept = [item for item in items if not any(_same(key, item, g) for g in givens)]
    _store(resource, attribute, kept)


def _same(key: Attribute | None, item: Any, given: Any) -> bool:
    if key is None or not isinstance(item, dict) or not isinstance(given, dict):
        return bool(item == given)
    return item.get(key.name) is not None and item.get(key.name) == given.get(key.name)


def _sub_attribute(
    resource: dict[str, Any], operation: PatchOperation, attribute: Attribute
) -> None:
    sub = operation.path.sub_attribute
    if sub is None:
        raise ValueError("a sub-attribute target without a sub-attribute")
    new = _new_sub_value(operation, sub)
    items = _values(resource, attribute)
    if not items and new is not UNASSIGNED:
        items = [{}]
    for item in items:
        _assign(item, sub, new)
    keep_primary(attribute, items, range(len(items)))
    _store(resource, attribute, items)


def _selected(resource: dict[str, Any], operation: PatchOperation, attribute: Attribute) -> None:
    path = operation.path
    condition = path.value_filter
    if condition is None:
        raise ValueError("a selected target without a value filter")
    sub = path.sub_attribute
    if sub is not None:
        new = _new_sub_value(operation, sub)
    elif operation.op is PatchOpKind.REMOVE:
        new = UNASSIGNED
    else:
        new = coerce_item(attribute, operation.value, str(path))
    items = _values(resource, attribute)
    chosen = [i for i, item in enumerate(items) if matches_value(condition, item)]
    seed = value_from_filter(condition) or {}
    if not chosen:
        if new is UNASSIGNED:
            note(Leniency.REMOVE_MATCHED_NOTHING)
            return
        if not seed or (items and not attribute.multi_valued):
            raise NoTarget(f"No value of {attribute.name} matches the filter in {path}.")
        note(Leniency.FILTERED_VALUE_CREATED)
        items.append(dict(seed))
        chosen = [len(items) - 1]
    for index in chosen:
        if sub is not None:
            _assign(items[index], sub, new)
        elif new is UNASSIGNED:
            items[index] = {}
        elif operation.op is PatchOpKind.ADD:
            items[index] = {**items[index], **new}
        else:
            items[index] = {**seed, **new}
    keep_primary(attribute, items, [i for i in chosen if items[i]])
    _store(resource, attribute, items)


def _new_sub_value(operation: PatchOperation, sub: Attribute) -> Any:
    if operation.op is PatchOpKind.REMOVE:
        return UNASSIGNED
    return coerce_simple(sub, operation.value, str(operation.path))


def _values(resource: Mapping[str, Any], attribute: Attribute) -> list[dict[str, Any]]:
    """Copies of the values of a complex attribute (one value if single-valued)."""
    current = get_value(resource, attribute)
    items = current if isinstance(current, list) else [current]
    return [copy_json(item) for item in items if isinstance(item, dict)]


def _assign(item: dict[str, Any], sub: Attribute, value: Any) -> None:
    key = find_key(item, sub.name)
    if key is not None:
        del item[key]
    if value is not UNASSIGNED:
        item[sub.name] = value


def _store(resource: dict[str, Any], attribute: Attribute, items: list[Any]) -> None:
    """Store complex values back, normalised (an emptied value or reference is unassigned)."""
    kept = [item for item in items if item]
    if attribute.multi_valued:
        set_value(resource, attribute, kept or None)
        return
    value = coerce(attribute, kept[0], attribute.name) if kept else UNASSIGNED
    set_value(resource, attribute, None if value is UNASSIGNED else value)


_Handler = Callable[[dict[str, Any], PatchOperation, Attribute], None]

_HANDLERS: dict[tuple[PatchOpKind, Target], _Handler] = {
    (PatchOpKind.ADD, Target.WHOLE): _set_whole,
    (PatchOpKind.REPLACE, Target.WHOLE): _set_whole,
    (PatchOpKind.REMOVE, Target.WHOLE): _remove_whole,
    (PatchOpKind.ADD, Target.SUB_ATTRIBUTE): _sub_attribute,
    (PatchOpKind.REPLACE, Target.SUB_ATTRIBUTE): _sub_attribute,
    (PatchOpKind.REMOVE, Target.SUB_ATTRIBUTE): _sub_attribute,
    (PatchOpKind.ADD, Target.SELECTED): _selected,
    (PatchOpKind.REPLACE, Target.SELECTED): _selected,
    (PatchOpKind.REMOVE, Target.SELECTED): _selected,
}
