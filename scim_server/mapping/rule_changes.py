"""When a rule or its group changes, existing members get or lose what the rule gives.

DESIGN.md: "A mapping changed later is applied to existing users … not only to new ones." A rule
is bound to its group when the group is provisioned (`project_group`), applied to the group's
current members then, and taken back when the rule or the group goes. Taking back needs no
member list, since every grant names its rule; applying reads the members through `members_of`,
which the caller supplies from the SCIM store (group SCIM id -> member user SCIM ids).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kinabase.user_types import settle_user_types
from kinabase.users import User
from scim_server.mapping.directory import DirectoryGroup
from scim_server.mapping.group_rules import (
    GroupRule,
    bound_rules,
    find_rule,
    get_rule,
    matches,
)
from scim_server.mapping.rule_grants import batches, give, take_back

MembersOf = Callable[[str], Iterable[str]]


def reapply_rule(session: Session, org_id: int, rule_id: int, members_of: MembersOf) -> None:
    """Make the rule's grants exactly its group's current members' (none if the rule is gone or
    unbound), then settle the organisation's user types. Never refuses.

    Its grants are withdrawn and given again in the same transaction, in batches of 10,000.
    """
    rule = find_rule(session, org_id, rule_id)
    take_back(session, _users_of(org_id), [rule_id])
    if rule is not None and rule.group_directory_id is not None:
        for batch in batches(members_of(rule.group_directory_id)):
            give(session, org_id, rule, batch)
    settle_user_types(session, org_id)


def remove_rule(session: Session, org_id: int, rule_id: int) -> None:
    """Delete the rule and take back what it gave. Raises NotFound before writing."""
    rule = get_rule(session, org_id, rule_id)
    take_back(session, _users_of(org_id), [rule.id])
    settle_user_types(session, org_id)
    session.delete(rule)
    session.flush()


def project_group(
    session: Session, org_id: int, group: DirectoryGroup, members_of: MembersOf
) -> list[GroupRule]:
    """Bind the rules that name this group and apply them to its members; returns them.

    Call it when a group is created or replaced, or its displayName or externalId changes, and
    when a rule is created for a group the store already has. Rules already bound to the group
    follow its new name and pin its externalId. Never refuses.
    """
    candidates = session.scalars(
        select(GroupRule).where(
            GroupRule.org_id == org_id,
            GroupRule.app_role.is_(None),
            GroupRule.group_directory_id.is_(None)
            | (GroupRule.group_directory_id == group.directory_id),
        )
    ).all()
    newly_bound = []
    for rule in candidates:
        if rule.group_directory_id is None:
            if not matches(rule, group.external_id, group.display_name):
                continue
            rule.group_directory_id = group.directory_id
            newly_bound.append(rule)
        rule.group_display_name = group.display_name
        if group.external_id:
            rule.group_external_id = group.external_id.lower()
    session.flush()
    for rule in newly_bound:
        reapply_rule(session, org_id, rule.id, members_of)
    return newly_bound


def unlink_group(session: Session, org_id: int, group_directory_id: str) -> None:
    """For a SCIM DELETE of the group: take back what its rules gave and unbind them, so that
    the same group provisioned again binds them again. Never refuses.
    """
    rules = bound_rules(session, org_id, [group_directory_id])
    if not rules:
        return
    take_back(session, _users_of(org_id), [rule.id for rule in rules])
    settle_user_types(session, org_id)
    for rule in rules:
        rule.group_directory_id = None
    session.flush()


def _users_of(org_id: int) -> Select[int]:
    return select(User.id).where(User.org_id == org_id)
