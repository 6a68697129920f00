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

from kinabase.accounts import Profile, add_user
from kinabase.colleagues import colleague_record, refresh_colleague_identity
from kinabase.collections import Record
from kinabase.errors import EmailInUse
from kinabase.licences import activate_user, deactivate_user
from kinabase.names import fold_case
from kinabase.user_types import settle_user_types
from kinabase.users import User, UserStatus, find_user_by_email, find_user_by_entra_object_id
from scim_server.mapping.app_roles import apply_app_role_rules
from scim_server.mapping.directory import DirectoryUser, missing_email
from scim_server.mapping.errors import AlreadyLinked, InvalidManager
from scim_server.mapping.field_mapping import (
    colleague_field_mapping,
    fill_colleague_fields,
    manager_fields,
    mapped_values,
)
from scim_server.mapping.links import DirectoryLink, find_linked, link_of_user
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
    session: Session, org_id: int, user: DirectoryUser, *, new: bool = False
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

    `new` says that the directory user was created in this transaction, so that no link can
    exist yet (its id is new): the lookup is skipped.
    """
    linked = None if new else find_linked(session, org_id, user.directory_id)
    link: DirectoryLink | None
    account: User | None
    record: Record | None
    outcome: Outcome
    if linked is not None:
        link, account, record = linked
        _check_new_email(session, org_id, account, user.email_address)
        outcome, email = "updated", user.email_address or account.email
    elif user.email_address is None:
        return PendingUser(user.directory_id, user.user_name, missing_email(user.user_name))
    else:
        link, record, email = None, None, user.email_address
        account, outcome = _account_to_adopt(session, org_id, email)
    if user.manager_directory_id == user.directory_id:
        raise InvalidManager(f"directory user {user.directory_id!r} cannot be their own manager")

    mapping = colleague_field_mapping(session, org_id)
    # The seat is checked once, before anything is written: by add_user for a new account, by
    # activate_user for an existing one. A new account and its record are written whole, in
    # one INSERT each.
    new_record = account is None
    if account is None:
        account, record = add_user(
            session,
            org_id,
            email,
            _profile(user, email),
            active=user.active,
            colleague_data=mapped_values(mapping, user.value_at),
        )
    if user.active:
        activate_user(session, account)  # a no-op for an account just created active
    else:
        deactivate_user(session, account)
    if link is None:
        link = DirectoryLink(
            org_id=org_id,
            directory_id=user.directory_id,
            user_id=account.id,
            manager_directory_id=user.manager_directory_id,
        )
        session.add(link)
    _copy_profile(account, user, email)
    _record_sign_in_keys(session, org_id, account, user)

    if record is None:
        record = colleague_record(session, org_id, account.id)
    refresh_colleague_identity(record, account)
    fill_colleague_fields(record, mapping, user.value_at)
    fields = manager_fields(mapping)
    if link.manager_directory_id != user.manager_directory_id:
        link.manager_directory_id = user.manager_directory_id
    session.flush()  # the record and link are rows before the Core statements below name them
    link_manager(
        session, org_id, record.id, user.manager_directory_id, fields, new_record=new_record
    )
    if outcome != "updated":
        # Reports that named this user before they were projected; once linked, a user's
        # reports link to them by their own projection (link_manager).
        link_waiting_reports(session, org_id, user.directory_id, record.id, fields)
    apply_app_role_rules(session, org_id, link, user.app_roles)
    session.flush()
    return ProjectionResult(account.id, record.id, outcome, account.status)


def unlink_user(session: Session, org_id: int, directory_id: str) -> bool:
    """For a SCIM DELETE: deactivate the linked Kinabase user and unlink them.

    Their seat is freed; their Colleague record, manual roles and history stay; what group rules
    gave them goes; they stop being their reports' manager (as in the store). The same person
    provisioned again is adopted by email. Returns whether a user was linked. Never refuses.
    """
    linked = find_linked(session, org_id, directory_id)
    if linked is None:
        return False
    link, account, record = linked
    users = select(User.id).where(User.id == account.id)
    if take_back(session, users):
        settle_user_types(session, org_id, users)
    if record is None:
        record = colleague_record(session, org_id, account.id)
    fields = manager_fields(colleague_field_mapping(session, org_id))
    release_reports(session, org_id, directory_id, record.id, fields)
    session.delete(link)
    # The seat last: freeing it locks the organisation row (PostgreSQL), which every write of
    # a seat contends for; taken last, it is held only to the commit and never while waiting
    # for another lock (two concurrent DELETEs deadlocked on it).
    deactivate_user(session, account)
    session.flush()
    return True


def _check_new_email(session: Session, org_id: int, account: User, email: str | None) -> None:
    """Refuse a new email for the linked Kinabase user that another user holds."""
    if email is None or fold_case(email) == account.email_folded:
        return
    same_email = find_user_by_email(session, org_id, email)
    if same_email is not None and same_email.id != account.id:
        raise EmailInUse(email)


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


def _profile(user: DirectoryUser, email: str) -> Profile:
    return Profile(
        first_name=user.given_name or "",
        last_name=user.family_name or "",
        display_name=user.display_name or "",
        job_title=user.title,
        photo_url=user.photo_url,
        user_principal_name=user.user_name,
    )


def _copy_profile(account: User, user: DirectoryUser, email: str) -> None:
    # Assigning the values a new account was created with changes nothing (no UPDATE).
    profile = _profile(user, email)
    account.email = email
    account.first_name = profile.first_name
    account.last_name = profile.last_name
    account.display_name = profile.display_name
    account.job_title = profile.job_title
    account.photo_url = profile.photo_url
