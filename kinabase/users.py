"""Kinabase users: who they are, their user type, their status and their Microsoft identity."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    select,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, Session, mapped_column, validates

from kinabase.base import Base, UtcDateTime, utcnow
from kinabase.errors import NotFound
from kinabase.names import fold_case


def _email_folded_default(context: DefaultExecutionContext) -> str:
    """The folded key of a row inserted without one (bulk inserts)."""
    parameters = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return fold_case(parameters["email"])


def string_enum(cls: type[enum.Enum]) -> Enum:
    """A column type storing the enum's values as strings (no native enum: easy to extend)."""
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class UserType(enum.StrEnum):
    """What a user may administer; roles grant data access separately."""

    USER = "user"
    BILLING_ADMINISTRATOR = "billing_administrator"
    ADMINISTRATOR = "administrator"

    @property
    def rank(self) -> int:
        """Precedence when several sources want a type: Administrator wins over Billing."""
        return _USER_TYPE_RANK[self]


_USER_TYPE_RANK = {
    UserType.USER: 0,
    UserType.BILLING_ADMINISTRATOR: 1,
    UserType.ADMINISTRATOR: 2,
}


class UserStatus(enum.StrEnum):
    """Invited → active → deactivated. Only active users hold a licence seat."""

    INVITED = "invited"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class User(Base):
    """A person's Kinabase account within one organisation."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("org_id", "entra_object_id", name="uq_users_org_entra_object_id"),
        Index("ix_users_org_status", "org_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    # fold_case(email): unique per organisation, so that addresses differing only in case or
    # Unicode normalisation are one (kept in step by `_fold_email` and the insert default).
    email_folded: Mapped[str] = mapped_column(Text, nullable=True, default=_email_folded_default)
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    display_name: Mapped[str] = mapped_column(String(400), default="")
    job_title: Mapped[str | None] = mapped_column(String(400))
    photo_url: Mapped[str | None] = mapped_column(Text)
    user_type: Mapped[UserType] = mapped_column(string_enum(UserType), default=UserType.USER)
    # While user type grants decide user_type, the type an administrator gave by hand, restored
    # when the last grant goes; NULL while user_type is itself the hand-given type (user_types.py).
    manual_user_type: Mapped[UserType | None] = mapped_column(string_enum(UserType))
    status: Mapped[UserStatus] = mapped_column(string_enum(UserStatus), default=UserStatus.INVITED)
    entra_object_id: Mapped[str | None] = mapped_column(String(36))
    user_principal_name: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    @property
    def name(self) -> str:
        """The name shown for the user: display name, else first and last name, else email."""
        return shown_name(self.display_name, self.first_name, self.last_name, self.email)

    @validates("email")
    def _fold_email(self, key: str, email: str) -> str:
        self.email_folded = fold_case(email)
        return email


def shown_name(display_name: str, first_name: str, last_name: str, email: str) -> str:
    """`User.name` of these values: display name, else first and last name, else email."""
    return display_name or f"{first_name} {last_name}".strip() or email


# Email addresses are unique per organisation whatever their case and Unicode normalisation.
Index("uq_users_org_email", User.org_id, User.email_folded, unique=True)


class UserPhoto(Base):
    """A user's profile photo bytes from one source: "microsoft" (the directory's) or
    "uploaded" (the user's own choice, shown before the directory's; `kinabase.photos`)."""

    __tablename__ = "user_photos"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


def get_user(session: Session, org_id: int, user_id: int) -> User:
    """The user with this id in this organisation, or NotFound (also for other organisations)."""
    user = session.scalars(select(User).where(User.org_id == org_id, User.id == user_id)).first()
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


# Built once (every provisioned write runs them): no construction or cache-key work.
_BY_EMAIL = select(User).where(
    User.org_id == bindparam("org_id"), User.email_folded == bindparam("email_folded")
)
_BY_OBJECT_ID = select(User).where(
    User.org_id == bindparam("org_id"), User.entra_object_id == bindparam("object_id")
)


def find_user_by_email(session: Session, org_id: int, email: str) -> User | None:
    """The organisation's user with this email address, compared by `fold_case`."""
    return session.scalars(_BY_EMAIL, {"org_id": org_id, "email_folded": fold_case(email)}).first()


def find_user_by_entra_object_id(session: Session, org_id: int, object_id: str) -> User | None:
    """The organisation's user linked to this Entra object id."""
    return session.scalars(
        _BY_OBJECT_ID, {"org_id": org_id, "object_id": object_id.lower()}
    ).first()


def list_users(session: Session, org_id: int) -> list[User]:
    """The organisation's users, oldest first."""
    return list(session.scalars(select(User).where(User.org_id == org_id).order_by(User.id)))
