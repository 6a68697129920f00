"""Group membership changes become grants: members get what the group's rules give, and lose it.

The HTTP layer calls these in the transaction of the SCIM store's write, after the store has
recorded the change (RFC 7644 §3.5.2 PATCH of `members`, or a Group PUT/POST). Each call costs a
fixed number of statements per rule and per 1,000 members, however many members the group has.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from sqlalchemy.orm import Session

from kinabase.user_types import settle_user_types
from scim_server.mapping.group_rules import bound_rules
from scim_server.mapping.links import linked_user_ids
from scim_server.mapping.rule_grants import batches, give, take_back


def apply_membership_change(  # noqa: PLR0917 - the HTTP layer's agreed call shape
    session: Session,
    org_id: int,
    group_directory_id: str,
    added: Collection[str],
    removed: Collection[str],
    groups_of: Callable[[Collection[str]], Mapping[str, set[str]]] | None = None,
) -> None:
    """Give the group's rules to the `added` member directory ids and take them back from
    `removed` ones (the net change: an id is in at most one of them).

    A removed member keeps roles given by hand or by other groups' rules, and their user type
    falls back to what their other rules give, else to the type an administrator gave by hand.
    `groups_of` is accepted for the agreed interface and not called: every grant remembers the
    rule that gave it (kinabase/user_types.py), so nothing needs the members' other groups.
    Ids not linked to a Kinabase user (not projected, or nested groups) are ignored. Never refuses.
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


def apply_rules_to_user(
    session: Session, org_id: int, directory_id: str, group_ids: Collection[str]
) -> None:
    """Make one user's rule grants exactly those of the rules of these groups (SCIM group ids).

    For a user just projected, or whose groups are known as a whole (the directory pull). What
    rules of other groups gave is taken back; manual grants stay. Never refuses.
    """
    rules = bound_rules(session, org_id, group_ids)
    users = linked_user_ids(org_id, [directory_id])
    take_back(session, users, keep=[rule.id for rule in rules])
    for rule in rules:
        give(session, org_id, rule, [directory_id])
    settle_user_types(session, org_id, users)
