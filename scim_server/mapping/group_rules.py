"""Directory rules: "members of directory group G get roles R1, R2" and "… get user type T", and
the same for "holders of Entra app role A".

How a rule names its group. An administrator knows a group by its Entra object id (which Entra
sends as the SCIM `externalId`, its default group mapping) or by its display name; neither is the
SCIM `id`, which this server makes up when the group is provisioned. So a rule records what the
administrator gave (`group_external_id` or `group_display_name`) and is *bound* to the SCIM group
(`group_directory_id`) when a group matching it is provisioned (`project_group` in
rule_changes.py). Once bound, the rule follows the group itself: a rename keeps it, and the rule
pins the group's externalId, so a different group later given the old name never inherits it. A
group deleted from SCIM unbinds its rules; the same group provisioned again binds them again.

An app role rule names the app role by its value. When an administrator maps Entra's app role
assignments to the SCIM `roles` attribute (reference/entra-provisioning.md §3), each value of a
user's `roles` is the value of an app role assigned to them; the rule applies to a user while
their `roles` carry its value (app_roles.py). App role rules are never bound to a group.

What a rule gives is recorded with the source "group-rule:<id>" (role_grants, user_type_grants),
so taking it back never touches what an administrator or another rule gave.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from kinabase.base import Base, UtcDateTime, utcnow
from kinabase.errors import NotFound
from kinabase.roles import Role, find_role
from kinabase.users import UserType, string_enum
from scim_server.mapping.errors import InvalidGroupRule
from scim_server.mapping.links import DIRECTORY_ID_LENGTH

SOURCE_PREFIX = "group-rule:"
APP_ROLE_LENGTH = 255
_OBJECT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)

group_rule_roles = Table(
    "group_rule_roles",
    Base.metadata,
    Column("rule_id", ForeignKey("group_rules.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class GroupRule(Base):
    """What members of one directory group get in one organisation."""

    __tablename__ = "group_rules"
    __table_args__ = (
        Index("ix_group_rules_org_group", "org_id", "group_directory_id"),
        Index("ix_group_rules_org_app_role", "org_id", "app_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    group_external_id: Mapped[str | None] = mapped_column(String(DIRECTORY_ID_LENGTH))
    group_display_name: Mapped[str | None] = mapped_column(String(256))  # Entra's limit
    group_directory_id: Mapped[str | None] = mapped_column(String(DIRECTORY_ID_LENGTH))
    app_role: Mapped[str | None] = mapped_column(String(APP_ROLE_LENGTH))
    user_type: Mapped[UserType | None] = mapped_column(string_enum(UserType))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    roles: Mapped[list[Role]] = relationship(secondary=group_rule_roles, order_by=Role.name)

    @property
    def source(self) -> str:
        """The source recorded on the role and user type grants this rule gives."""
        return rule_source(self.id)

    @property
    def group(self) -> str:
        """How the rule names its group: the display name, else the external id ("" for an app
        role rule)."""
        return self.group_display_name or self.group_external_id or ""

    @property
    def subject(self) -> str:
        """Whom the rule applies to, for people: `group=…` or `app-role=…`."""
        return f"app-role={self.app_role}" if self.app_role is not None else f"group={self.group}"


def rule_source(rule_id: int) -> str:
    """The grant source of a rule ("group-rule:<id>", as kinabase/roles.py documents)."""
    return f"{SOURCE_PREFIX}{rule_id}"


def create_rule(
    session: Session,
    org_id: int,
    group: str | None = None,
    role_names: Sequence[str] = (),
    user_type: UserType | None = None,
    *,
    app_role: str | None = None,
) -> GroupRule:
    """Create a rule for a group, named by its Entra object id (a GUID) or display name, or for
    an Entra app role, named by its value.

    Roles must exist already: a misspelt name would otherwise become an empty role that grants
    nothing. Refuses before writing. A group rule is unbound until `project_group` sees its
    group, and an app role rule reaches no one until users are projected: the provisioning
    service applies a new rule to the users and groups the store already has.
    """
    group = (group or "").strip()
    app_role = (app_role or "").strip() or None
    if bool(group) == (app_role is not None):
        raise InvalidGroupRule(
            "a rule needs either a group (display name or object id) or an app role value"
        )
    if app_role is not None and len(app_role) > APP_ROLE_LENGTH:
        raise InvalidGroupRule(f"an app role value has at most {APP_ROLE_LENGTH} characters")
    if not role_names and user_type is None:
        raise InvalidGroupRule("a rule must give at least one role or a user type")
    roles = {name: find_role(session, org_id, name) for name in dict.fromkeys(role_names)}
    missing = [name for name, role in roles.items() if role is None]
    if missing:
        raise InvalidGroupRule(f"no role named {', '.join(map(repr, missing))}; create it first")
    by_object_id = _OBJECT_ID.fullmatch(group) is not None
    rule = GroupRule(
        org_id=org_id,
        group_external_id=group.lower() if by_object_id else None,
        group_display_name=group if group and not by_object_id else None,
        app_role=app_role,
        user_type=user_type,
        roles=[role for role in roles.values() if role is not None],
    )
    session.add(rule)
    session.flush()
    return rule


def list_rules(session: Session, org_id: int) -> list[GroupRule]:
    """The organisation's group rules, oldest first."""
    return list(
        session.scalars(select(GroupRule).where(GroupRule.org_id == org_id).order_by(GroupRule.id))
    )


def find_rule(session: Session, org_id: int, rule_id: int) -> GroupRule | None:
    """The organisation's rule with this id, if any (None for other organisations' rules)."""
    return session.scalars(
        select(GroupRule).where(GroupRule.org_id == org_id, GroupRule.id == rule_id)
    ).one_or_none()


def get_rule(session: Session, org_id: int, rule_id: int) -> GroupRule:
    """The organisation's rule with this id, or NotFound (also for other organisations)."""
    rule = find_rule(session, org_id, rule_id)
    if rule is None:
        raise NotFound(f"no group rule with id {rule_id}")
    return rule


def bound_rules(session: Session, org_id: int, group_ids: Collection[str]) -> list[GroupRule]:
    """The organisation's rules bound to any of these SCIM groups."""
    if not group_ids:
        return []
    return list(
        session.scalars(
            select(GroupRule).where(
                GroupRule.org_id == org_id, GroupRule.group_directory_id.in_(group_ids)
            )
        )
    )


def matches(rule: GroupRule, external_id: str | None, display_name: str) -> bool:
    """Whether an unbound rule names this group: by external id if it has one, else by name."""
    if rule.app_role is not None:
        return False
    if rule.group_external_id is not None:
        return external_id is not None and rule.group_external_id == external_id.lower()
    return (rule.group_display_name or "").casefold() == display_name.casefold()
