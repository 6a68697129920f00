"""Roles, their per-collection permissions, and who holds them for what reason.

A role assignment remembers its source: "manual" when an administrator granted it, or
"group-rule:<id>" when a directory group rule did. A user holds a role while any source grants it,
so a rule that stops applying takes away only what that rule gave.
"""

from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kinabase.base import Base
from kinabase.errors import DomainError, NotFound

MANUAL = "manual"


class PermissionLevel(enum.StrEnum):
    """Access a role gives to a collection's records."""

    NONE = "none"
    VIEW = "view"
    VIEW_AND_EDIT = "view_and_edit"


class Role(Base):
    """A named set of permissions within one organisation."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_roles_org_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class RolePermission(Base):
    """The permission level a role gives on one collection."""

    __tablename__ = "role_permissions"

    role_id: Mapped[int] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[PermissionLevel] = mapped_column(
        Enum(
            PermissionLevel,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )


class RoleGrant(Base):
    """One reason a user holds a role."""

    __tablename__ = "role_grants"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[int] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    source: Mapped[str] = mapped_column(String(60), primary_key=True)


def create_role(session: Session, org_id: int, name: str, description: str = "") -> Role:
    """Create a role; names are unique within an organisation."""
    if find_role(session, org_id, name) is not None:
        raise DomainError(f"a role named {name!r} already exists")
    role = Role(org_id=org_id, name=name, description=description)
    session.add(role)
    session.flush()
    return role


def find_role(session: Session, org_id: int, name: str) -> Role | None:
    """The organisation's role with this name."""
    return session.scalars(select(Role).where(Role.org_id == org_id, Role.name == name)).first()


def get_role(session: Session, org_id: int, role_id: int) -> Role:
    """The organisation's role with this id, or NotFound (also for other organisations)."""
    role = session.scalars(select(Role).where(Role.org_id == org_id, Role.id == role_id)).first()
    if role is None:
        raise NotFound(f"no role with id {role_id}")
    return role


def list_roles(session: Session, org_id: int) -> list[Role]:
    """The organisation's roles by name."""
    return list(session.scalars(select(Role).where(Role.org_id == org_id).order_by(Role.name)))


def set_permission(
    session: Session, role: Role, collection_id: int, level: PermissionLevel
) -> None:
    """Set the level a role gives on a collection."""
    permission = session.get(RolePermission, (role.id, collection_id))
    if permission is None:
        session.add(RolePermission(role_id=role.id, collection_id=collection_id, level=level))
    else:
        permission.level = level
    session.flush()


def grant_role(session: Session, user_id: int, role: Role, source: str = MANUAL) -> bool:
    """Record that `source` grants the role to the user; returns whether this was new."""
    if session.get(RoleGrant, (user_id, role.id, source)) is not None:
        return False
    session.add(RoleGrant(user_id=user_id, role_id=role.id, source=source))
    session.flush()
    return True


def revoke_role(session: Session, user_id: int, role: Role, source: str = MANUAL) -> bool:
    """Withdraw one source's grant; the user keeps the role if another source grants it."""
    result = session.execute(
        delete(RoleGrant).where(
            RoleGrant.user_id == user_id, RoleGrant.role_id == role.id, RoleGrant.source == source
        )
    )
    return bool(getattr(result, "rowcount", 0))


def roles_of_user(session: Session, org_id: int, user_id: int) -> list[Role]:
    """The roles the user holds for any reason, by name."""
    return list(
        session.scalars(
            select(Role)
            .where(
                Role.org_id == org_id,
                Role.id.in_(select(RoleGrant.role_id).where(RoleGrant.user_id == user_id)),
            )
            .order_by(Role.name)
        )
    )
