"""Set-based grants of group rules: give a rule's roles and user type to many users, take them back.

A directory group may have 100,000 members, and Entra changes membership 100 members per PATCH
(reference/entra-provisioning.md §1.2), so nothing here loads users: each operation is one
INSERT … SELECT or DELETE per grant table and rule, over batches of at most `BATCH_SIZE`
directory ids (bound parameters stay well under SQLite's 32,766 and PostgreSQL's 65,535). The
statements are ORM-enabled bulk statements (SQLAlchemy 2.0, "ORM-Enabled INSERT, UPDATE, and
DELETE statements"), whose "fetch" synchronisation keeps objects the caller loaded up to date.

After giving or taking back, callers settle user types (`kinabase.user_types.settle_user_types`)
once for everyone they touched.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    delete,
    exists,
    insert,
    literal,
    select,
    true,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from kinabase.database import BATCH_SIZE, batches
from kinabase.roles import RoleGrant
from kinabase.user_types import UserTypeGrant
from scim_server.mapping.group_rules import SOURCE_PREFIX, GroupRule, group_rule_roles, rule_source
from scim_server.mapping.links import DirectoryLink

__all__ = ["BATCH_SIZE", "batches", "give", "take_back", "take_back_all"]


def give(session: Session, org_id: int, rule: GroupRule, directory_ids: Collection[str]) -> None:
    """Grant the rule's roles and user type to these directory users' Kinabase users.

    Grants that exist are skipped, so giving twice is harmless; ids not linked are ignored.
    Statements bind at most BATCH_SIZE ids each.
    """
    for batch in batches(directory_ids):
        _give_batch(session, org_id, rule, batch)


def _give_batch(session: Session, org_id: int, rule: GroupRule, directory_ids: list[str]) -> None:
    linked = (DirectoryLink.org_id == org_id, DirectoryLink.directory_id.in_(directory_ids))
    roles = (
        select(DirectoryLink.user_id, group_rule_roles.c.role_id, literal(rule.source))
        .join(group_rule_roles, true())
        .where(*linked, group_rule_roles.c.rule_id == rule.id)
        .where(
            ~exists().where(
                RoleGrant.user_id == DirectoryLink.user_id,
                RoleGrant.role_id == group_rule_roles.c.role_id,
                RoleGrant.source == rule.source,
            )
        )
    )
    session.execute(insert(RoleGrant).from_select(["user_id", "role_id", "source"], roles))
    if rule.user_type is None:
        return
    types = (
        select(DirectoryLink.user_id, literal(rule.source), literal(rule.user_type.value))
        .where(*linked)
        .where(
            ~exists().where(
                UserTypeGrant.user_id == DirectoryLink.user_id,
                UserTypeGrant.source == rule.source,
            )
        )
    )
    session.execute(insert(UserTypeGrant).from_select(["user_id", "source", "user_type"], types))


def take_back(
    session: Session,
    users: Select[int],
    rule_ids: Collection[int] | None = None,
    keep: Collection[int] = (),
) -> int:
    """Withdraw from these users what the rules gave (every rule when `rule_ids` is None), except
    what the rules in `keep` gave. Manual grants and other sources stay.

    Returns how many user type grants went: when none did, the users' types need no settling.
    """
    taken = 0
    for model, source in ((RoleGrant, RoleGrant.source), (UserTypeGrant, UserTypeGrant.source)):
        result = session.execute(
            delete(model)
            .where(model.user_id.in_(users.scalar_subquery()), _given_by(source, rule_ids, keep))
            .execution_options(synchronize_session="fetch")
        )
        if model is UserTypeGrant:
            taken = result.rowcount  # type: ignore[attr-defined]
    return taken


# Every rule's grants of one user, as Core DELETEs built once (each SCIM DELETE of a linked
# user runs them).
_ROLE_GRANTS = cast(Table, RoleGrant.__table__)
_TYPE_GRANTS = cast(Table, UserTypeGrant.__table__)
_TAKE_BACK_ROLES, _TAKE_BACK_TYPES = (
    delete(table).where(
        table.c.user_id == bindparam("p_user"), table.c.source.startswith(SOURCE_PREFIX)
    )
    for table in (_ROLE_GRANTS, _TYPE_GRANTS)
)


def take_back_all(session: Session, user_id: int) -> int:
    """`take_back` of what every rule gave one user, in two prebuilt Core DELETEs; grants of
    theirs loaded in the session leave it, as "fetch" synchronisation would remove them.

    Returns how many user type grants went: when none did, the user's type needs no settling.
    """
    session.execute(_TAKE_BACK_ROLES, {"p_user": user_id})
    taken: int = session.execute(_TAKE_BACK_TYPES, {"p_user": user_id}).rowcount  # type: ignore[attr-defined]
    for loaded in list(session.identity_map.values()):
        if (
            isinstance(loaded, (RoleGrant, UserTypeGrant))
            and loaded.__dict__.get("user_id") == user_id
            and str(loaded.__dict__.get("source", "")).startswith(SOURCE_PREFIX)
        ):
            session.expunge(loaded)
    return taken


def _given_by(
    source: InstrumentedAttribute[str], rule_ids: Collection[int] | None, keep: Collection[int]
) -> ColumnElement[bool]:
    given = (
        source.startswith(SOURCE_PREFIX)
        if rule_ids is None
        else source.in_([rule_source(rule_id) for rule_id in rule_ids])
    )
    return given & source.not_in([rule_source(rule_id) for rule_id in keep]) if keep else given
