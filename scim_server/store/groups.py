"""The store of provisioned groups and their members.

Members live in `scim_group_members`, keyed by (group, member). Adding or removing members costs
one indexed statement per batch of `BATCH_SIZE` ids (kinabase.database) whatever the group's size,
so that no statement binds more parameters than an engine takes; the member list is read only when a
response must contain it. displayName is unique per organisation (Entra matches groups by it),
enforced by the database and answered with 409 `uniqueness`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from kinabase.base import utcnow
from kinabase.database import batches
from scim_server.protocol.case_folding import fold_case
from scim_server.protocol.cursors import CursorPage, Position
from scim_server.protocol.discovery import load_registry
from scim_server.protocol.errors import NotFound
from scim_server.protocol.members import MemberDelta
from scim_server.protocol.query import ListQuery
from scim_server.store.filter_targets import group_target
from scim_server.store.integrity import flush_unique
from scim_server.store.paging import count_matches, cursor_page, index_page, where_and_order
from scim_server.store.tables import ScimGroup, ScimGroupMember, ScimUser, group_columns
from scim_server.store.users import require_users

DISPLAY_NAME_INDEX = "uq_scim_groups_org_display_name"
MEMBER_PAGE = 5_000


@dataclass(frozen=True)
class MembershipChange:
    """The member ids that really joined or left (already-members and non-members excluded)."""

    added: frozenset[str]
    removed: frozenset[str]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def get_group(
    session: Session, org_id: int, group_id: str, *, for_update: bool = False
) -> ScimGroup:
    """The organisation's group with this id, or 404; `for_update` locks the row for a write."""
    statement = select(ScimGroup).where(ScimGroup.org_id == org_id, ScimGroup.id == group_id)
    if for_update:
        statement = statement.with_for_update()
    group = session.scalars(statement).first()
    if group is None:
        raise NotFound(f"Group {group_id} not found.")
    return group


def find_group_named(session: Session, org_id: int, name_or_external_id: str) -> ScimGroup | None:
    """The group whose externalId or displayName is this (case-insensitively), if any."""
    return session.scalars(
        select(ScimGroup)
        .where(
            ScimGroup.org_id == org_id,
            (func.lower(ScimGroup.external_id) == name_or_external_id.lower())
            | (ScimGroup.display_name_folded == fold_case(name_or_external_id)),
        )
        .order_by(ScimGroup.pk)
    ).first()


def group_resource(group: ScimGroup) -> dict[str, Any]:
    """The group's resource as the client sent it, with its `id` (members apart)."""
    return {**group.resource, "id": group.id}


def create_group(
    session: Session, org_id: int, resource: Mapping[str, Any], members: Collection[str]
) -> tuple[ScimGroup, MembershipChange]:
    """Store a new group (RFC 7644 §3.3) with its initial members, users of the organisation."""
    document = {k: v for k, v in resource.items() if k != "id"}
    group = ScimGroup(
        id=str(uuid.uuid4()),
        org_id=org_id,
        version=1,
        resource=document,
        **group_columns(document, load_registry().group),
    )
    session.add(group)
    flush_unique(session, DISPLAY_NAME_INDEX, _name_taken(document))
    change = apply_member_delta(session, group, MemberDelta(add=frozenset(members)))
    return group, change


def update_group(session: Session, group: ScimGroup, resource: Mapping[str, Any]) -> None:
    """Replace the group's stored resource (members apart) and bump its version."""
    document = {k: v for k, v in resource.items() if k != "id"}
    for column, value in group_columns(document, load_registry().group).items():
        setattr(group, column, value)
    group.resource = document
    touch(group)
    flush_unique(session, DISPLAY_NAME_INDEX, _name_taken(document))


def touch(group: ScimGroup) -> None:
    """Record a change of the group: a new version and lastModified."""
    group.version += 1
    group.last_modified = utcnow()


def delete_group(session: Session, group: ScimGroup) -> None:
    """Delete the group; its memberships go with it."""
    session.execute(delete(ScimGroup).where(ScimGroup.pk == group.pk))


def apply_member_delta(session: Session, group: ScimGroup, delta: MemberDelta) -> MembershipChange:
    """Apply a member delta with set operations; joining ids must be users of the organisation.

    Adding a member twice or removing a non-member changes nothing (Entra retries both). Only a
    full replacement reads the current members, because it must know whom to remove.
    """
    if delta.replace_all is not None:
        current = set(_member_ids(session, group.pk))
        delta = MemberDelta(
            add=frozenset(delta.replace_all - current),
            remove=frozenset(current - delta.replace_all),
        )
    added = _add_members(session, group, delta.add)
    removed = _remove_members(session, group, delta.remove)
    return MembershipChange(added=added, removed=removed)


def _add_members(session: Session, group: ScimGroup, ids: frozenset[str]) -> frozenset[str]:
    if not ids:
        return frozenset()
    pks = require_users(session, group.org_id, ids)
    present: set[int] = set()
    for batch in batches(pks.values()):
        present.update(
            session.scalars(
                select(ScimGroupMember.member_pk).where(
                    ScimGroupMember.group_pk == group.pk, ScimGroupMember.member_pk.in_(batch)
                )
            )
        )
    joining = {public_id: pk for public_id, pk in pks.items() if pk not in present}
    for batch in batches(joining.values()):
        session.execute(
            insert(ScimGroupMember), [{"group_pk": group.pk, "member_pk": pk} for pk in batch]
        )
    return frozenset(joining)


def _remove_members(session: Session, group: ScimGroup, ids: frozenset[str]) -> frozenset[str]:
    leaving: dict[str, int] = {}
    for batch in batches(ids):
        found = session.execute(
            select(ScimUser.id, ScimUser.pk)
            .join(ScimGroupMember, ScimGroupMember.member_pk == ScimUser.pk)
            .where(ScimGroupMember.group_pk == group.pk, ScimUser.id.in_(batch))
        ).all()
        leaving.update((public_id, pk) for public_id, pk in found)
        if found:
            session.execute(
                delete(ScimGroupMember).where(
                    ScimGroupMember.group_pk == group.pk,
                    ScimGroupMember.member_pk.in_([pk for _, pk in found]),
                )
            )
    return frozenset(leaving)


def _member_ids(session: Session, group_pk: int) -> Iterator[str]:
    return iter(
        session.scalars(
            select(ScimUser.id)
            .join(ScimGroupMember, ScimGroupMember.member_pk == ScimUser.pk)
            .where(ScimGroupMember.group_pk == group_pk)
        )
    )


def iter_members(session: Session, group_pk: int) -> Iterator[tuple[str, str | None]]:
    """The group's members as (id, displayName), in pages, for responses that include them."""
    after = 0
    while True:
        page = session.execute(
            select(ScimUser.pk, ScimUser.id, ScimUser.display_name)
            .join(ScimGroupMember, ScimGroupMember.member_pk == ScimUser.pk)
            .where(ScimGroupMember.group_pk == group_pk, ScimUser.pk > after)
            .order_by(ScimUser.pk)
            .limit(MEMBER_PAGE)
        ).all()
        for _, member_id, display in page:
            yield member_id, display
        if len(page) < MEMBER_PAGE:
            return
        after = page[-1][0]


# Built once (every user answered runs it): no construction or cache-key work.
_GROUPS_OF_USERS = (
    select(ScimGroupMember.member_pk, ScimGroup.id, ScimGroup.display_name)
    .join(ScimGroup, ScimGroup.pk == ScimGroupMember.group_pk)
    .where(
        ScimGroup.org_id == bindparam("org_id"),
        ScimGroupMember.member_pk.in_(bindparam("pks", expanding=True)),
    )
    .order_by(ScimGroup.pk)
)


def group_refs_of_users(
    session: Session, org_id: int, user_pks: Collection[int]
) -> dict[int, list[tuple[str, str | None]]]:
    """The groups (id, displayName) of each of these users, for their `groups` attribute."""
    result: dict[int, list[tuple[str, str | None]]] = {}
    for batch in batches(user_pks):
        rows = session.execute(_GROUPS_OF_USERS, {"org_id": org_id, "pks": list(batch)})
        for member_pk, group_id, display_name in rows:
            result.setdefault(member_pk, []).append((group_id, display_name))
    return result


def member_ids_of(session: Session, org_id: int, group_id: str) -> Iterator[str]:
    """Every member id of a group (for re-applying a group rule to existing members)."""
    group_pk = session.scalar(
        select(ScimGroup.pk).where(ScimGroup.org_id == org_id, ScimGroup.id == group_id)
    )
    return iter(()) if group_pk is None else _member_ids(session, group_pk)


def query_groups(
    session: Session, org_id: int, query: ListQuery, dialect_name: str
) -> tuple[int, list[ScimGroup]]:
    """The total number of matching groups and one page of them (RFC 7644 §3.4.2)."""
    condition, ordering = where_and_order(
        ScimGroup.org_id == org_id, ScimGroup.pk, group_target(), query, dialect_name
    )
    page = (
        list(session.scalars(index_page(select(ScimGroup).where(*condition), ordering, query)))
        if query.count
        else []
    )
    return count_matches(session, ScimGroup, condition, query, len(page)), page


def cursor_query_groups(
    session: Session, org_id: int, query: ListQuery, position: Position | None, dialect_name: str
) -> CursorPage[ScimGroup]:
    """One keyset page of matching groups after (or before) `position` (RFC 9865)."""
    condition, ordering = where_and_order(
        ScimGroup.org_id == org_id, ScimGroup.pk, group_target(), query, dialect_name
    )
    return cursor_page(
        session,
        select(ScimGroup),
        ScimGroup,
        condition,
        ordering,
        query=query,
        position=position,
        item=lambda row: row[0],
    )


def _name_taken(document: Mapping[str, Any]) -> str:
    return f"A group named {document.get('displayName')!r} already exists in this organisation."
