"""What an organisation looks like on the Kinabase side, read in fresh short transactions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from kinabase.colleagues import colleague_fields, colleague_record, linked_record_id
from kinabase.collections import Record
from kinabase.database import make_sessionmakers
from kinabase.licences import seats_in_use
from kinabase.roles import roles_of_user
from kinabase.users import User, UserStatus, UserType, find_user_by_email, list_users


@dataclass(frozen=True)
class KinabaseUser:
    """A snapshot of a Kinabase user and their Colleague record."""

    id: int
    email: str
    first_name: str
    last_name: str
    display_name: str
    job_title: str | None
    status: UserStatus
    user_type: UserType
    roles: tuple[str, ...]
    colleague: dict[str, Any]
    manager_email: str | None


@dataclass
class KinabaseView:
    """Reads one organisation's Kinabase side."""

    engine: Engine
    org_id: int

    def _session(self) -> Session:
        read_sessions, _ = make_sessionmakers(self.engine)
        return read_sessions()

    def seats_in_use(self) -> int:
        """The organisation's seat count, which must equal its number of active users."""
        with self._session() as session:
            counted = seats_in_use(session, self.org_id)
            active = session.scalar(
                select(func.count())
                .select_from(User)
                .where(User.org_id == self.org_id, User.status == UserStatus.ACTIVE)
            )
            assert counted == active, f"seats_in_use says {counted}, {active} users are active"
            return counted

    def emails(self) -> list[str]:
        """The email address of every Kinabase user of the organisation, sorted."""
        with self._session() as session:
            return sorted(user.email for user in list_users(session, self.org_id))

    def user(self, email: str) -> KinabaseUser | None:
        with self._session() as session:
            user = find_user_by_email(session, self.org_id, email)
            if user is None:
                return None
            record = colleague_record(session, self.org_id, user.id)
            manager_field = colleague_fields(session, self.org_id)["manager"]
            manager_record_id = linked_record_id(session, record, manager_field)
            manager_email = None
            if manager_record_id is not None:
                manager_record = session.get(Record, manager_record_id)
                assert manager_record is not None and manager_record.user_id is not None
                manager = session.get(User, manager_record.user_id)
                manager_email = manager.email if manager else None
            return KinabaseUser(
                id=user.id,
                email=user.email,
                first_name=user.first_name,
                last_name=user.last_name,
                display_name=user.display_name,
                job_title=user.job_title,
                status=user.status,
                user_type=user.user_type,
                roles=tuple(r.name for r in roles_of_user(session, self.org_id, user.id)),
                colleague=dict(record.data),
                manager_email=manager_email,
            )
