"""Changing what directory users get: rules and the colleague field mapping, applied at once.

DESIGN.md: a mapping changed later reaches existing users, not only new ones. Each function
changes the setting and brings the users the store already has in line with it, in the
caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from kinabase.users import UserType
from scim_server.mapping import (
    FieldSource,
    GroupRule,
    colleague_field_mapping,
    create_rule,
    list_rules,
    remove_rule,
    reset_colleague_field_mapping,
    set_colleague_field_source,
    unset_colleague_field_source,
)
from scim_server.provisioning.kinabase import project_stored_group
from scim_server.provisioning.users import Resync, resync_users
from scim_server.store.groups import find_group_named


def add_rule(
    session: Session,
    org_id: int,
    *,
    group: str | None = None,
    app_role: str | None = None,
    role_names: Sequence[str] = (),
    user_type: UserType | None = None,
) -> GroupRule:
    """Create a rule for a group (display name or Entra object id) or an Entra app role value,
    and apply it: to the group's members if the group is provisioned already, or to the users
    whose `roles` carry the app role (every stored user is projected again)."""
    rule = create_rule(session, org_id, group, role_names, user_type, app_role=app_role)
    if rule.app_role is not None:
        resync_users(session, org_id)
    elif (found := find_group_named(session, org_id, rule.group)) is not None:
        project_stored_group(session, org_id, found)
    return rule


def rules(session: Session, org_id: int) -> list[GroupRule]:
    """The organisation's rules, oldest first."""
    return list_rules(session, org_id)


def delete_rule(session: Session, org_id: int, rule_id: int) -> None:
    """Delete the rule and take back what it gave (NotFound for another organisation's)."""
    remove_rule(session, org_id, rule_id)


def colleague_field_sources(session: Session, org_id: int) -> list[FieldSource]:
    """Every mappable Colleague field with its effective SCIM source, by key."""
    return colleague_field_mapping(session, org_id)


def map_colleague_field(
    session: Session, org_id: int, field_key: str, source: str | None
) -> Resync:
    """Fill a Colleague field from a SCIM attribute path (None: from nothing), then project
    every user again."""
    if source is None:
        unset_colleague_field_source(session, org_id, field_key)
    else:
        set_colleague_field_source(session, org_id, field_key, source)
    return resync_users(session, org_id)


def reset_colleague_fields(session: Session, org_id: int, field_key: str | None = None) -> Resync:
    """Bring back the default source of one field (or of all), then project every user again."""
    reset_colleague_field_mapping(session, org_id, field_key)
    return resync_users(session, org_id)
