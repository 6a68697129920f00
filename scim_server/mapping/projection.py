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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import RowMapping, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from kinabase.accounts import Profile, insert_user
from kinabase.colleagues import colleague_identity, colleague_record, refresh_colleague_identity
from kinabase.collections import Field, Record
from kinabase.errors import EmailInUse
from kinabase.licences import activate_user, deactivate_user, free_seat, settled_status
from kinabase.names import fold_case
from kinabase.user_types import settle_user_types
from kinabase.users import (
    User,
    UserStatus,
    find_user_by_email,
    find_user_by_entra_object_id,
    shown_name,
)
from scim_server.mapping.app_roles import apply_app_role_rules
from scim_server.mapping.directory import DirectoryUser, missing_email
from scim_server.mapping.errors import AlreadyLinked, InvalidManager
from scim_server.mapping.field_mapping import (
    FieldSource,
    colleague_field_mapping,
    fill_colleague_fields,
    filled_colleague_data,
    manager_fields,
    mapped_values,
)
from scim_server.mapping.links import DirectoryLink, link_of_user
from scim_server.mapping.managers import link_manager, link_waiting_reports, release_reports
from scim_server.mapping.rule_grants import take_back_all

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
    linked = (
        None
        if new
        else session.execute(
            _LINKED_ROW, {"p_org": org_id, "p_directory": user.directory_id}
        ).first()
    )
    if linked is not None:
        return _update(session, org_id, user, linked._mapping)
    if user.email_address is None:
        return PendingUser(user.directory_id, user.user_name, missing_email(user.user_name))
    email = user.email_address
    account, outcome = _account_to_adopt(session, org_id, email)
    _check_manager(user)
    mapping = colleague_field_mapping(session, org_id)
    fields = manager_fields(mapping)
    if account is None:
        return _create(session, org_id, user, email, mapping=mapping, fields=fields)

    # Adopting an unlinked user with this email. The seat is checked once, before anything is
    # written, by activate_user.
    if user.active:
        activate_user(session, account)
    else:
        deactivate_user(session, account)
    link = DirectoryLink(
        org_id=org_id,
        directory_id=user.directory_id,
        user_id=account.id,
        manager_directory_id=user.manager_directory_id,
    )
    session.add(link)
    _copy_profile(account, user, email)
    _record_sign_in_keys(session, org_id, account, user)
    record = colleague_record(session, org_id, account.id)
    refresh_colleague_identity(record, account)
    fill_colleague_fields(record, mapping, user.value_at)
    session.flush()  # the record and link are rows before the Core statements below name them
    link_manager(session, org_id, record.id, user.manager_directory_id, fields)
    # Reports that named this user before they were projected; once linked, a user's reports
    # link to them by their own projection (link_manager).
    link_waiting_reports(session, org_id, user.directory_id, record.id, fields)
    apply_app_role_rules(session, org_id, account.id, user.directory_id, user.app_roles)
    session.flush()
    return ProjectionResult(account.id, record.id, outcome, account.status)


def _check_manager(user: DirectoryUser) -> None:
    if user.manager_directory_id == user.directory_id:
        raise InvalidManager(f"directory user {user.directory_id!r} cannot be their own manager")


def _update(
    session: Session, org_id: int, user: DirectoryUser, account: RowMapping
) -> ProjectionResult:
    """The linked Kinabase user follows the directory, in Core statements (no ORM object, unit
    of work or flush): the link, account and Colleague record were read in one query, the new
    values are worked out in Python, and each row that changes is one UPDATE of what changed.
    Writes what the ORM path of `project_user` would; refuses as it would, before writing.
    Objects of these rows loaded in the session are expired.
    """
    _check_new_email(session, org_id, account["id"], account["email_folded"], user.email_address)
    _check_manager(user)
    user_id = account["id"]
    email = user.email_address or account["email"]
    mapping = colleague_field_mapping(session, org_id)
    fields = manager_fields(mapping)

    status = settled_status(session, org_id, account["status"], active=user.active)
    profile = _profile(user, email)
    wanted: dict[str, Any] = {"status": status, **profile.columns(email)}
    if account["entra_object_id"] is None:
        object_id = _new_entra_object_id(session, org_id, user)
        if object_id is not None:
            wanted["entra_object_id"] = object_id
    changed = {key: value for key, value in wanted.items() if account[key] != value}
    if changed:
        session.execute(update(_users).where(_users.c.id == user_id).values(changed))

    record_id = account["record_id"]
    data = account["data"]
    if record_id is None:
        record = colleague_record(session, org_id, user_id)  # raises NotFound
        record_id, data = record.id, record.data
    name = shown_name(profile.display_name, profile.first_name, profile.last_name, email)
    identity = colleague_identity(name, email)
    new_data = filled_colleague_data({**data, **identity}, mapping, user.value_at)
    if new_data != data:
        session.execute(_UPDATE_RECORD_DATA, {"p_record": record_id, "data": new_data})
    if account["manager_directory_id"] != user.manager_directory_id:
        session.execute(
            _UPDATE_LINK_MANAGER,
            {"p_user": user_id, "manager_directory_id": user.manager_directory_id},
        )
    _expire_loaded(session, user_id, record_id)
    link_manager(session, org_id, record_id, user.manager_directory_id, fields)
    apply_app_role_rules(session, org_id, user_id, user.directory_id, user.app_roles)
    return ProjectionResult(user_id, record_id, "updated", status)


def _expire_loaded(session: Session, user_id: int, record_id: int) -> None:
    """Expire the session's objects of rows that Core statements changed, if it has them."""
    for key in (
        session.identity_key(User, user_id),
        session.identity_key(Record, record_id),
        session.identity_key(DirectoryLink, user_id),
    ):
        loaded = session.identity_map.get(key)
        if loaded is not None:
            session.expire(loaded)


# Core statements on the tables, built once (every SCIM write of a user runs some of them).
_links = cast(Table, DirectoryLink.__table__)
_users = cast(Table, User.__table__)
_records = cast(Table, Record.__table__)
_INSERT_LINK = insert(_links)
# The linked user's link, account and Colleague record, in one query (None: not linked).
_LINKED_ROW = (
    select(
        _links.c.manager_directory_id,
        _users.c.id,
        _users.c.status,
        _users.c.email,
        _users.c.email_folded,
        _users.c.first_name,
        _users.c.last_name,
        _users.c.display_name,
        _users.c.job_title,
        _users.c.photo_url,
        _users.c.user_principal_name,
        _users.c.entra_object_id,
        _records.c.id.label("record_id"),
        _records.c.data,
    )
    .join(_users, _users.c.id == _links.c.user_id)
    .outerjoin(
        _records, (_records.c.user_id == _users.c.id) & (_records.c.org_id == _links.c.org_id)
    )
    .where(_links.c.org_id == bindparam("p_org"), _links.c.directory_id == bindparam("p_directory"))
)
_UPDATE_RECORD_DATA = (  # updated_at follows by the column's onupdate
    update(_records).where(_records.c.id == bindparam("p_record"))
)
_UPDATE_LINK_MANAGER = update(_links).where(_links.c.user_id == bindparam("p_user"))


def _create(
    session: Session,
    org_id: int,
    user: DirectoryUser,
    email: str,
    *,
    mapping: Sequence[FieldSource],
    fields: Sequence[Field],
) -> ProjectionResult:
    """A new Kinabase user for this directory user, in Core statements (no ORM object, unit of
    work or flush): the sign-in keys are settled before the first write, the seat is taken,
    and the user, their Colleague record (mapped fields included) and the directory link are
    each one INSERT, the manager link one more when the manager is projected. Writes what the
    ORM path of `project_user` would, status included (a new inactive user is deactivated).
    """
    object_id = _new_entra_object_id(session, org_id, user)
    inserted = insert_user(
        session,
        org_id,
        email,
        _profile(user, email),
        status=UserStatus.ACTIVE if user.active else UserStatus.DEACTIVATED,
        entra_object_id=object_id,
        colleague_data=mapped_values(mapping, user.value_at),
    )
    session.execute(
        _INSERT_LINK,
        {
            "user_id": inserted.user_id,
            "org_id": org_id,
            "directory_id": user.directory_id,
            "manager_directory_id": user.manager_directory_id,
        },
    )
    link_manager(
        session, org_id, inserted.record_id, user.manager_directory_id, fields, new_record=True
    )
    link_waiting_reports(session, org_id, user.directory_id, inserted.record_id, fields)
    apply_app_role_rules(session, org_id, inserted.user_id, user.directory_id, user.app_roles)
    return ProjectionResult(inserted.user_id, inserted.record_id, "created", inserted.status)


# For unlink_user: the linked user's key and status and their Colleague record's key in one
# query, then the link's DELETE and the deactivation.
_LINKED_KEYS = (
    select(_links.c.user_id, _users.c.status, _records.c.id)
    .join(_users, _users.c.id == _links.c.user_id)
    .outerjoin(
        _records, (_records.c.user_id == _users.c.id) & (_records.c.org_id == _links.c.org_id)
    )
    .where(_links.c.org_id == bindparam("p_org"), _links.c.directory_id == bindparam("p_directory"))
)
_DELETE_LINK = delete(_links).where(_links.c.user_id == bindparam("p_user"))
_DEACTIVATE = (  # updated_at follows by the column's onupdate
    update(_users).where(_users.c.id == bindparam("p_user")).values(status=UserStatus.DEACTIVATED)
)


def unlink_user(session: Session, org_id: int, directory_id: str) -> bool:
    """For a SCIM DELETE: deactivate the linked Kinabase user and unlink them.

    Their seat is freed; their Colleague record, manual roles and history stay; what group rules
    gave them goes; they stop being their reports' manager (as in the store). The same person
    provisioned again is adopted by email. Returns whether a user was linked. Never refuses.
    """
    row = session.execute(_LINKED_KEYS, {"p_org": org_id, "p_directory": directory_id}).first()
    if row is None:
        return False
    user_id, status, record_id = row
    if take_back_all(session, user_id):
        settle_user_types(session, org_id, select(User.id).where(User.id == user_id))
    if record_id is None:
        record_id = colleague_record(session, org_id, user_id).id
    fields = manager_fields(colleague_field_mapping(session, org_id))
    release_reports(session, org_id, directory_id, record_id, fields)
    session.execute(_DELETE_LINK, {"p_user": user_id})
    if status is not UserStatus.DEACTIVATED:
        session.execute(_DEACTIVATE, {"p_user": user_id})
    # Objects loaded in the session would still show the link and the old status.
    link = session.identity_map.get(session.identity_key(DirectoryLink, user_id))
    if link is not None:
        session.expunge(link)
    account = session.identity_map.get(session.identity_key(User, user_id))
    if account is not None:
        session.expire(account)
    # The seat last: freeing it locks the organisation row (PostgreSQL), which every write of
    # a seat contends for; taken last, it is held only to the commit and never while waiting
    # for another lock (two concurrent DELETEs deadlocked on it).
    if status is UserStatus.ACTIVE:
        free_seat(session, org_id)
    return True


def _check_new_email(
    session: Session, org_id: int, user_id: int, email_folded: str | None, email: str | None
) -> None:
    """Refuse a new email for the linked Kinabase user that another user holds."""
    if email is None or fold_case(email) == email_folded:
        return
    same_email = find_user_by_email(session, org_id, email)
    if same_email is not None and same_email.id != user_id:
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
    if account.entra_object_id is None:
        object_id = _new_entra_object_id(session, org_id, user)
        if object_id is not None:
            account.entra_object_id = object_id


def _new_entra_object_id(session: Session, org_id: int, user: DirectoryUser) -> str | None:
    """The Entra object id `externalId` carries, if it is a GUID that no account holds."""
    external_id = user.value_at("externalId")
    if not isinstance(external_id, str):
        return None
    object_id = external_id.strip().lower()
    if _GUID.fullmatch(object_id) and not find_user_by_entra_object_id(session, org_id, object_id):
        return object_id
    return None


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
