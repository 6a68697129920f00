"""Projecting a provisioned user onto Kinabase: their account, seat, Colleague record and manager.

Kinabase's "Connect to Microsoft 365" imports "names, email addresses, profile photos, job titles,
manager relationships", and synced users "appear in the Colleagues list and count towards billing"
(kinabase.com/support/setting-up/connecting-to-microsoft-365). Each active user holds a licence
seat; deactivation frees it (kinabase.com/support/setting-up/invite-users-and-licenses).

Every check comes before the first write, so a refusal leaves the session exactly as it was;
the HTTP layer rolls back its own store write when one propagates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinabase.accounts import create_user
from kinabase.colleagues import colleague_record, refresh_colleague_identity
from kinabase.errors import EmailInUse
from kinabase.licences import activate_user, deactivate_user, ensure_seat_available
from kinabase.user_types import settle_user_types
from kinabase.users import User, UserStatus, find_user_by_email
from scim_server.mapping.directory import DirectoryUser
from scim_server.mapping.errors import AlreadyLinked, InvalidManager, MissingEmail
from scim_server.mapping.field_mapping import (
    colleague_field_mapping,
    fill_colleague_fields,
    manager_fields,
)
from scim_server.mapping.links import DirectoryLink, find_link, link_of_user
from scim_server.mapping.managers import link_manager, link_waiting_reports, release_reports
from scim_server.mapping.rule_grants import take_back

Outcome = Literal["created", "adopted", "updated"]


@dataclass(frozen=True)
class ProjectionResult:
    """What `project_user` did."""

    user_id: int
    record_id: int  # the user's Colleague record
    outcome: Outcome  # a new Kinabase user, an existing one linked by email, or the linked one
    status: UserStatus
    manager_pending: bool  # the manager is not projected yet; linked when they are


def project_user(session: Session, org_id: int, user: DirectoryUser) -> ProjectionResult:
    """Create or update the Kinabase user linked to this directory user.

    The first time, an unlinked Kinabase user with the same email (case-insensitive) is adopted,
    else a user is created with their Colleague record. Then the name, email, job title, photo
    and status follow the directory (active takes a seat, inactive frees it), and so do the
    Colleague record's mapped fields and manager link.

    Raises, before writing anything: MissingEmail (no email, and userName is not an address);
    AlreadyLinked (the same-email user is linked to another directory user: creating a second
    user with that email is impossible, and taking the account from its owner is wrong);
    EmailInUse (the new email belongs to another user); InvalidManager (the user is their own
    manager); LicenceExhausted (becoming active needs a seat and none is free).
    """
    email = user.email_address
    if email is None:
        raise MissingEmail(user.directory_id, user.user_name)
    link = find_link(session, org_id, user.directory_id)
    account, outcome = _account_for(session, org_id, link, email)
    if user.manager_directory_id == user.directory_id:
        raise InvalidManager(f"directory user {user.directory_id!r} cannot be their own manager")
    if user.active and (account is None or account.status is not UserStatus.ACTIVE):
        ensure_seat_available(session, org_id)

    if account is None:
        account = create_user(session, org_id, email, active=user.active)
    if link is None:
        link = DirectoryLink(org_id=org_id, directory_id=user.directory_id, user_id=account.id)
        session.add(link)
    _copy_profile(account, user, email)
    if user.active:
        activate_user(session, account)
    else:
        deactivate_user(session, account)

    record = colleague_record(session, org_id, account.id)
    refresh_colleague_identity(record, account)
    mapping = colleague_field_mapping(session, org_id)
    fill_colleague_fields(record, mapping, user.value_at)
    fields = manager_fields(mapping)
    pending = link_manager(session, link, record, user.manager_directory_id, fields)
    link_waiting_reports(session, org_id, user.directory_id, record, fields)
    session.flush()
    return ProjectionResult(account.id, record.id, outcome, account.status, pending)


def unlink_user(session: Session, org_id: int, directory_id: str) -> bool:
    """For a SCIM DELETE: deactivate the linked Kinabase user and unlink them.

    Their seat is freed; their Colleague record, manual roles and history stay; what group rules
    gave them goes; they stop being their reports' manager (as in the store). The same person
    provisioned again is adopted by email. Returns whether a user was linked. Never refuses.
    """
    link = find_link(session, org_id, directory_id)
    if link is None:
        return False
    account = session.get_one(User, link.user_id)
    deactivate_user(session, account)
    users = select(User.id).where(User.id == account.id)
    take_back(session, users)
    settle_user_types(session, org_id, users)
    record = colleague_record(session, org_id, account.id)
    fields = manager_fields(colleague_field_mapping(session, org_id))
    release_reports(session, org_id, directory_id, record, fields)
    session.delete(link)
    session.flush()
    return True


def _account_for(
    session: Session, org_id: int, link: DirectoryLink | None, email: str
) -> tuple[User | None, Outcome]:
    """The Kinabase user to project onto (None: create one), refusing email clashes."""
    same_email = find_user_by_email(session, org_id, email)
    if link is not None:
        if same_email is not None and same_email.id != link.user_id:
            raise EmailInUse(email)
        return session.get_one(User, link.user_id), "updated"
    if same_email is None:
        return None, "created"
    other = link_of_user(session, same_email.id)
    if other is not None:
        raise AlreadyLinked(email, other.directory_id)
    return same_email, "adopted"


def _copy_profile(account: User, user: DirectoryUser, email: str) -> None:
    account.email = email
    account.first_name = user.given_name or ""
    account.last_name = user.family_name or ""
    account.display_name = user.display_name or ""
    account.job_title = user.title
    account.photo_url = user.photo_url
