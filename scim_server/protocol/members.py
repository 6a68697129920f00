"""Group membership changes as a delta (RFC 7644 §3.5.2, applied to `members`).

A group can have 100,000 members, so members are never part of the group's resource dict and
PATCH never reads them: each operation on `members` becomes part of a `MemberDelta` that the
store applies with set-based inserts and deletes. Adding an existing member or removing a
non-member is therefore the store's idempotent no-op, never an error here.

Member values arrive in every shape Entra and Okta send (entra-provisioning.md §1.2, §4):
an array of `{"value": id, "$ref": null}`, one object, a bare string id, or an array of strings.
Removal accepts the valuePath `members[value eq "id"]` (also `or`-ed), Entra's legacy
`{"op": "Remove", "path": "members", "value": [{"value": id}]}` (only those members), and a
`remove` of `members` without a value, which clears all members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scim_server.protocol.errors import InvalidPath
from scim_server.protocol.filter_ast import CompareOp, Comparison, Filter, Or
from scim_server.protocol.leniencies import Leniency, note
from scim_server.protocol.patch_request import PatchOperation, PatchOpKind
from scim_server.protocol.schema import Attribute
from scim_server.protocol.values import UNASSIGNED, coerce


@dataclass(frozen=True)
class MemberDelta:
    """What to do to a group's member set, in this order.

    When `replace_all` is not None the group's members become exactly that set (and `add`
    and `remove` are empty); otherwise `remove` ids leave and `add` ids join. `add` and
    `remove` never overlap.
    """

    add: frozenset[str] = frozenset()
    remove: frozenset[str] = frozenset()
    replace_all: frozenset[str] | None = None

    @property
    def is_empty(self) -> bool:
        return self.replace_all is None and not self.add and not self.remove

    @property
    def referenced_ids(self) -> frozenset[str]:
        """The ids that must name users of the organisation (those joining the group)."""
        return self.add | (self.replace_all or frozenset())


@dataclass
class MemberDeltaBuilder:
    """Accumulates member operations in request order into one `MemberDelta`."""

    add: set[str] = field(default_factory=set)
    remove: set[str] = field(default_factory=set)
    replace_all: set[str] | None = None

    def join(self, ids: set[str]) -> None:
        if self.replace_all is not None:
            self.replace_all |= ids
        else:
            self.add |= ids
            self.remove -= ids

    def leave(self, ids: set[str]) -> None:
        if self.replace_all is not None:
            self.replace_all -= ids
        else:
            self.remove |= ids
            self.add -= ids

    def replace(self, ids: set[str]) -> None:
        self.replace_all = set(ids)
        self.add.clear()
        self.remove.clear()

    def build(self) -> MemberDelta:
        return MemberDelta(
            add=frozenset(self.add),
            remove=frozenset(self.remove),
            replace_all=None if self.replace_all is None else frozenset(self.replace_all),
        )


def member_ids(attribute: Attribute, value: Any) -> set[str]:
    """The member ids in a PATCH or POST value for `members`, in any shape clients send."""
    coerced = coerce(attribute, value, attribute.name)
    if coerced is UNASSIGNED:
        return set()
    return {str(item["value"]) for item in coerced}


def filtered_ids(attribute: Attribute, condition: Filter) -> set[str]:
    """The ids selected by `members[value eq "a" or value eq "b"]`.

    Any other filter would need the current member list, which PATCH never reads.
    """
    terms = condition.operands if isinstance(condition, Or) else (condition,)
    ids: set[str] = set()
    for term in terms:
        if (
            not isinstance(term, Comparison)
            or term.op is not CompareOp.EQ
            or term.path.sub_attribute is None
            or term.path.sub_attribute.name != "value"
            or not isinstance(term.value, str)
        ):
            raise InvalidPath(f'{attribute.name} can be selected only by value eq "<id>".')
        ids.add(term.value)
    return ids


def apply_member_operation(
    operation: PatchOperation, attribute: Attribute, delta: MemberDeltaBuilder
) -> None:
    """Record one PATCH operation on `members` in the delta (RFC 7644 §3.5.2)."""
    path = operation.path
    if path.sub_attribute is not None:
        raise InvalidPath(f"{attribute.name} values cannot be changed, only added and removed.")
    if path.value_filter is not None:
        selected = filtered_ids(attribute, path.value_filter)
        if operation.op is PatchOpKind.ADD:
            raise InvalidPath(f"Add to {attribute.name} takes no filter.")
        delta.leave(selected)
        if operation.op is PatchOpKind.REPLACE:
            delta.join(member_ids(attribute, operation.value))
        return
    if operation.op is PatchOpKind.ADD:
        delta.join(member_ids(attribute, operation.value))
    elif operation.op is PatchOpKind.REPLACE:
        delta.replace(member_ids(attribute, operation.value))
    elif operation.value is None:
        delta.replace(set())  # remove without a value clears every member (RFC 7644 §3.5.2.2)
    else:
        note(Leniency.REMOVE_WITH_VALUE)
        delta.leave(member_ids(attribute, operation.value))
