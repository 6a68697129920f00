"""Projecting a provisioned user onto Kinabase: their account, seat, Colleague record and manager.

Kinabase's "Connect to Microsoft 365" imports "names, email addresses, profile photos, job titles,
manager relationships", and synced users "appear in the Colleagues list and count towards billing"
(kinabase.com/support/setting-up/connecting-to-microsoft-365). Each active user holds a licence
seat; deactivation frees it (kinabase.com/support/setting-up/invite-users-and-licenses).

A directory user without an email address cannot be a Kinabase user (accounts are keyed by
email), though SCIM requires only a userName (RFC 7643 §4.1.1): such a user stays *pending*,
projected onto nothing, until the directory gives them an address.

Every check comes before the first write, so a refusal leaves the session exactly as it was;
the provisioning service rolls back its own store write when one propagates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinabase.accounts import create_user
from kinabase.colleagues import colleague_record, refresh_colleague_identity
from kinabase.errors import EmailInUse
from kinabase.licences import activate_user, deactivate_user
from kinabase.user_types import settle_user_types
from kinabase.users import User, UserStatus, find_user_by_email, find_user_by_entra_object_id
from scim_server.mapping.app_roles import apply_app_role_rules
from scim_server.mapping.directory import DirectoryUser, missing_email
from scim_server.mapping.errors import AlreadyLinked, InvalidManager
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

    @property
    def newly_linked(self) -> bool:
        """Whether this projection linked the directory user (group rules apply from now on)."""
        return self.outcome != "updated"


@dataclass(frozen=True)
class PendingUser:
    """A directory user not projected onto Kinabase (no Kinabase user, no seat), and why."""

    directory_id: str
    user_name: str
    reason: str


def project_user(
    session: Session, org_id: int, user: DirectoryUser
) -> ProjectionResult | PendingUser:
    """Create or update the Kinabase user linked to this directory user.

    The first time, an unlinked Kinabase user with the same email (case-insensitive) is adopted,
    else a user is created with their Colleague record. Then the name, email, job title, photo
    and status follow the directory (active takes a seat, inactive frees it), and so do the
    Colleague record's mapped fields, manager link and app role grants. A directory user who
    has no email address and is not linked yet stays pending: nothing is written. One already
    linked keeps their Kinabase address when the directory's goes.

    Raises, before writing anything: AlreadyLinked (the same-email user is linked to another
    directory user: creating a second user with that email is impossible, and taking the
    account from its owner is wrong); EmailInUse (the new email belongs to another user);
    InvalidManager (the user is their own manager); LicenceExhausted (becoming active needs a
    seat and none is free).
    """
    link = find_link(session, org_id, user.directory_id)
    account: User | None
    outcome: Outcome
    if link is not None:
        linked = _linked_account(session, org_id, link, user.email_address)
        account, outcome, email = linked, "updated", user.email_address or linked.email
    elif user.email_address is None:
        return PendingUser(user.directory_id, user.user_name, missing_email(user.user_name))
    else:
        email = user.email_address
        account, outcome = _account_to_adopt(session, org_id, email)
    if user.manager_directory_id == user.directory_id:
        raise InvalidManager(f"directory user {user.directory_id!r} cannot be their own manager")

    # The seat is checked once, before anything is written: by create_user for a new account,
    # by activate_user for an existing one.
    if account is None:
        account = create_user(session, org_id, email, active=user.active)
    if user.active:
        activate_user(session, account)  # a no-op for an account just created active
    else:
        deactivate_user(session, account)
    if link is None:
        link = DirectoryLink(org_id=org_id, directory_id=user.directory_id, user_id=account.id)
        session.add(link)
    _copy_profile(account, user, email)
    _record_sign_in_keys(session, org_id, account, user)

    record = colleague_record(session, org_id, account.id)
    refresh_colleague_identity(record, account)
    mapping = colleague_field_mapping(session, org_id)
    fill_colleague_fields(record, mapping, user.value_at)
    fields = manager_fields(mapping)
    link_manager(session, link, record, user.manager_directory_id, fields)
    link_waiting_reports(session, org_id, user.directory_id, record, fields)
    apply_app_role_rules(session, org_id, link, user.app_roles)
    session.flush()
    return ProjectionResult(account.id, record.id, outcome, account.status)


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


def _linked_account(session: Session, org_id: int, link: DirectoryLink, email: str | None) -> User:
    """The linked Kinabase user, refusing a new email that another user holds."""
    if email is not None:
        same_email = find_user_by_email(session, org_id, email)
        if same_email is not None and same_email.id != link.user_id:
            raise EmailInUse(email)
    return session.get_one(User, link.user_id)


def _account_to_adopt(session: Session, org_id: int, email: str) -> tuple[User | None, Outcome]:
    """The unlinked Kinabase user with this email to adopt (None: create one), refusing one
    that another directory user holds."""
    same_email = find_user_by_email(session, org_id, email)
    if same_email is None:
        return None, "created"
    other = link_of_user(session, same_email.id)
    if other is not None:
        raise AlreadyLinked(email, other.directory_id)
    return same_email, "adopted"


_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _record_sign_in_keys(session: Session, org_id: int, account: User, user: DirectoryUser) -> None:
    """Record the keys Entra controls, on which sign in with Microsoft links the account
    (`sso.accounts`): the userName (the UPN under Entra's default mapping) as the account's
    `user_principal_name`, and the Entra object id as `entra_object_id` when `externalId`
    carries one (a GUID: the admin mapped `objectId` to it; Entra's default maps `mailNickname`,
    which is no GUID). An object id is only ever recorded on an account without one that no
    other account holds: an id recorded by a sign-in is never replaced.
    """
    account.user_principal_name = user.user_name
    external_id = user.value_at("externalId")
    if not isinstance(external_id, str) or account.entra_object_id is not None:
        return
    object_id = external_id.strip().lower()
    if _GUID.fullmatch(object_id) and not find_user_by_entra_object_id(session, org_id, object_id):
        account.entra_object_id = object_id


def _copy_profile(account: User, user: DirectoryUser, email: str) -> None:
    account.email = email
    account.first_name = user.given_name or ""
    account.last_name = user.family_name or ""
    account.display_name = user.display_name or ""
    account.job_title = user.title
    account.photo_url = user.photo_url
