"""Group membership changes become grants: members get what the group's rules give, and lose it.

The provisioning service calls these in the transaction of the store's write, after the store has
recorded the change (RFC 7644 §3.5.2 PATCH of `members`, or a Group PUT/POST). Each call costs a
fixed number of statements per rule and per 10,000 members (`BATCH_SIZE`), however many members
the group has.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from kinabase.user_types import settle_user_types
from scim_server.mapping.group_rules import bound_rules
from scim_server.mapping.links import linked_user_ids
from scim_server.mapping.rule_grants import batches, give, take_back


def apply_membership_change(
    session: Session,
    org_id: int,
    group_directory_id: str,
    added: Collection[str],
    removed: Collection[str],
) -> None:
    """Give the group's rules to the `added` member directory ids and take them back from
    `removed` ones (the net change: an id is in at most one of them).

    A removed member keeps roles given by hand or by other rules, and their user type falls
    back to what their other rules give, else to the type an administrator gave by hand: every
    grant remembers the rule that gave it (kinabase/user_types.py), so nothing needs the
    members' other groups. Ids not linked to a Kinabase user (pending users, nested groups) are
    ignored: a pending user gets its groups' rules when it is projected (`give_group_rules`).
    Never refuses.
    """
    rules = bound_rules(session, org_id, [group_directory_id])
    if not rules:
        return
    for batch in batches(removed):
        users = linked_user_ids(org_id, batch)
        take_back(session, users, [rule.id for rule in rules])
        settle_user_types(session, org_id, users)
    for batch in batches(added):
        for rule in rules:
            give(session, org_id, rule, batch)
        settle_user_types(session, org_id, linked_user_ids(org_id, batch))


def give_group_rules(
    session: Session, org_id: int, directory_id: str, group_ids: Collection[str]
) -> None:
    """Give a user just linked what the rules of their groups (SCIM group ids) give.

    For a directory user projected for the first time while already a member (one that was
    pending, or imported before its groups' rules existed). Grants already held are skipped.
    Never refuses.
    """
    rules = bound_rules(session, org_id, group_ids)
    if not rules:
        return
    for rule in rules:
        give(session, org_id, rule, [directory_id])
    settle_user_types(session, org_id, linked_user_ids(org_id, [directory_id]))
