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
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from kinabase.user_types import settle_user_types
from kinabase.users import User
from scim_server.mapping.group_rules import GroupRule
from scim_server.mapping.links import DirectoryLink
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


# Built once (every write of a provisioned user runs it): no construction or cache-key work.
_APP_ROLE_RULES = select(GroupRule).where(
    GroupRule.org_id == bindparam("org_id"), GroupRule.app_role.is_not(None)
)


def apply_app_role_rules(
    session: Session, org_id: int, link: DirectoryLink, app_roles: Collection[str]
) -> None:
    """Make the user's app role grants exactly those of the rules naming one of `app_roles`
    (casefolded values). One query when the organisation has no app role rule. Never refuses.
    """
    rules = session.scalars(_APP_ROLE_RULES, {"org_id": org_id}).all()
    if not rules:
        return
    held = [rule for rule in rules if (rule.app_role or "").casefold() in app_roles]
    users = select(User.id).where(User.id == link.user_id)
    session.flush()  # the link must be a row before grants select it
    take_back(session, users, [rule.id for rule in rules], keep=[rule.id for rule in held])
    for rule in held:
        give(session, org_id, rule, [link.directory_id])
    settle_user_types(session, org_id, users)


def _inner_value(text: str) -> Any:
    try:
        decoded = json.loads(text)
    except ValueError:
        return text
    return decoded.get("value") if isinstance(decoded, Mapping) else text
