"""What a SCIM write did, in the provisioning activity's terms (`kinabase.provisioning_activity`).

The provisioning functions return what they wrote; this module says what that was for the
activity: which resource, its userName or displayName, and the outcome (succeeded, pending with
the reason, refused with a reason an Administrator can act on, or failed). It reads nothing
except the name of a resource whose write was refused (`stored_name`), and writes nothing: the
HTTP edge records the entries, in the write's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinabase.errors import DomainError, EmailInUse, LicenceExhausted
from kinabase.provisioning_activity import Outcome, Reason
from scim_server.mapping import PendingUser
from scim_server.protocol.attribute_values import lookup
from scim_server.protocol.errors import ScimError
from scim_server.provisioning.errors import scim_error_for
from scim_server.provisioning.groups import GroupPatch
from scim_server.provisioning.users import UserWrite
from scim_server.store.tables import ScimGroup, ScimUser
from scim_server.store.users import StoredUser

USER = "User"
GROUP = "Group"
INTERNAL_ERROR_DETAIL = "The service failed to handle the request; its log has the details."


@dataclass(frozen=True)
class Effect:
    """What a request did to one resource (or why it did nothing)."""

    resource_type: str  # USER or GROUP
    resource_id: str | None
    name: str | None  # userName or displayName
    outcome: Outcome
    status: int
    reason: str | None = None
    detail: str | None = None


def user_written(write: UserWrite, status: int) -> Effect | None:
    """A created, replaced or patched user: succeeded, or pending with the reason; None for a
    PATCH that changed nothing."""
    if write.kinabase is None:
        return None
    row = write.stored.row
    if isinstance(write.kinabase, PendingUser):
        reason = write.kinabase.reason
        return Effect(USER, row.id, row.user_name, Outcome.PENDING, status, Reason.NO_EMAIL, reason)
    return Effect(USER, row.id, row.user_name, Outcome.SUCCEEDED, status)


def user_deleted(stored: StoredUser) -> Effect:
    """A deleted user."""
    return Effect(USER, stored.row.id, stored.row.user_name, Outcome.SUCCEEDED, 204)


def group_written(group: ScimGroup, status: int) -> Effect:
    """A created or replaced group."""
    return Effect(GROUP, group.id, group.display_name, Outcome.SUCCEEDED, status)


def group_patched(patch: GroupPatch, status: int) -> Effect | None:
    """A patched group; None for a PATCH that changed nothing."""
    return group_written(patch.group, status) if patch.changed else None


def group_deleted(group: ScimGroup) -> Effect:
    """A deleted group."""
    return group_written(group, 204)


@dataclass(frozen=True)
class Refusal:
    """Why a write changed nothing: the outcome, the status answered, a reason and the detail."""

    outcome: Outcome
    status: int
    reason: str | None
    detail: str


def refusal_of(error: BaseException) -> Refusal:
    """The refusal an error stands for. A Kinabase rule names a reason an Administrator can act
    on (no seat left, the email taken); a SCIM error gives its scimType; anything else is the
    service's failure, whose detail says only where to look."""
    reason: str | None = None
    if isinstance(error, LicenceExhausted):
        reason = Reason.NO_SEAT
    elif isinstance(error, EmailInUse):
        reason = Reason.EMAIL_IN_USE
    scim = scim_error_for(error) if isinstance(error, DomainError) else error
    if isinstance(scim, ScimError):
        outcome = Outcome.FAILED if scim.status >= 500 else Outcome.REFUSED
        return Refusal(outcome, scim.status, reason or scim.scim_type, scim.detail)
    return Refusal(Outcome.FAILED, 500, None, INTERNAL_ERROR_DETAIL)


def name_in_body(body: Any, resource_type: str) -> str | None:
    """The userName or displayName a POST or PUT body gives, if it is a string."""
    if not isinstance(body, Mapping):
        return None
    name = lookup(body, "userName" if resource_type == USER else "displayName")
    return name if isinstance(name, str) else None


def stored_name(session: Session, org_id: int, resource_type: str, resource_id: str) -> str | None:
    """The userName or displayName of a stored resource of the organisation, if it exists."""
    if resource_type == USER:
        query = select(ScimUser.user_name).where(
            ScimUser.org_id == org_id, ScimUser.id == resource_id
        )
    else:
        query = select(ScimGroup.display_name).where(
            ScimGroup.org_id == org_id, ScimGroup.id == resource_id
        )
    name: str | None = session.scalars(query).first()
    return name
