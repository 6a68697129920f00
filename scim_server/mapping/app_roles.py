"""Entra app roles: the values of a user's `roles` give what the app role rules say.

When an administrator maps app role assignments to the SCIM `roles` attribute in Entra
(`AppRoleAssignmentsComplex([appRoleAssignments])`, or `SingleAppRoleAssignment` into
`roles[primary eq "True"].value`), each value of `roles` is the value of an app role assigned to
the user (reference/entra-provisioning.md §3). A rule that names an app role (group_rules.py)
gives its roles and user type to exactly the users whose `roles` carry that value, through the
same grants as group rules; when the assignment goes, so does what the rule gave.

Entra's PATCH may send a role's `value` as a JSON-encoded string of `{"id", "value",
"displayName"}` (a deviation from RFC 7643 §4.1.2, where `value` is the role itself); the inner
`value` is taken then. Values compare case-insensitively.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from kinabase.user_types import settle_user_types
from kinabase.users import User
from scim_server.mapping.group_rules import GroupRule
from scim_server.mapping.rule_grants import give, take_back


def app_role_values(roles: Any) -> frozenset[str]:
    """The app role values in a `roles` attribute (multi-valued, RFC 7643 §4.1.2), casefolded."""
    values = set()
    for role in roles if isinstance(roles, list) else []:
        value = role.get("value") if isinstance(role, Mapping) else None
        if isinstance(value, str) and value.lstrip().startswith("{"):
            value = _inner_value(value)
        if isinstance(value, str) and value.strip():
            values.add(value.strip().casefold())
    return frozenset(values)


# Built once (every write of a provisioned user runs them): no construction or cache-key work.
# The ids are read in Core (no ORM loading for the usual answer, none); the rules themselves
# only when there are some.
_rules = cast(Table, GroupRule.__table__)
_APP_ROLE_RULE_IDS = select(_rules.c.id).where(
    _rules.c.org_id == bindparam("p_org"), _rules.c.app_role.is_not(None)
)
_RULES_BY_ID = select(GroupRule).where(GroupRule.id.in_(bindparam("p_ids", expanding=True)))


def apply_app_role_rules(
    session: Session, org_id: int, user_id: int, directory_id: str, app_roles: Collection[str]
) -> None:
    """Make the app role grants of the linked user (Kinabase `user_id`, directory
    `directory_id`) exactly those of the rules naming one of `app_roles` (casefolded values).
    One Core query when the organisation has no app role rule. Never refuses.
    """
    rule_ids = session.scalars(_APP_ROLE_RULE_IDS, {"p_org": org_id}).all()
    if not rule_ids:
        return
    rules = session.scalars(_RULES_BY_ID, {"p_ids": list(rule_ids)}).all()
    held = [rule for rule in rules if (rule.app_role or "").casefold() in app_roles]
    users = select(User.id).where(User.id == user_id)
    session.flush()  # the link must be a row before grants select it
    take_back(session, users, [rule.id for rule in rules], keep=[rule.id for rule in held])
    for rule in held:
        give(session, org_id, rule, [directory_id])
    settle_user_types(session, org_id, users)


def _inner_value(text: str) -> Any:
    try:
        decoded = json.loads(text)
    except ValueError:
        return text
    return decoded.get("value") if isinstance(decoded, Mapping) else text
