"""What the colleague field mapping's page needs to choose a source and see it work.

- `carried_attribute_paths`: the SCIM attribute paths that stored users actually carry, core,
  enterprise and custom extensions alike (`title`, `name.givenName`,
  `emails[type eq "work"].value`, `urn:…:enterprise:2.0:User:department`,
  `urn:…:CustomExt:2.0:User:costCentre`), read from the most recently changed users.
- `previewable_users`: stored users to preview a source with.
- `preview_field_value`: the value a Colleague field would take from a source for one stored
  user, read by the same reader the projection uses (`directory_user_from_resource(…).value_at`)
  and checked as saving would check it; nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinabase.errors import NotFound
from scim_server.mapping import (
    MANAGER_PATH,
    check_colleague_field_source,
    directory_user_from_resource,
)
from scim_server.protocol.errors import NotFound as ScimNotFound
from scim_server.store.tables import ScimUser
from scim_server.store.users import get_user

SAMPLED_USERS = 500  # the most recently changed users whose attributes the picker offers
PICKER_USERS = 500
# Attributes that are never a Colleague field's source: identifiers of the resource itself,
# metadata, secrets, and what the service computes.
NOT_SOURCES = frozenset({"schemas", "id", "meta", "password", "groups"})


@dataclass(frozen=True)
class PreviewableUser:
    """A stored user the preview can read: its SCIM id and userName."""

    id: str
    user_name: str


@dataclass(frozen=True)
class Preview:
    """A source read for one user: the value as the field would show it (None: empty)."""

    field_key: str
    field_name: str
    source: str
    user_name: str
    value: str | None


def paths_of(resource: Mapping[str, Any]) -> Iterator[str]:
    """The attribute paths (RFC 7644 §3.10) that hold a value in one User resource."""
    for name, value in resource.items():
        if name in NOT_SOURCES or value in (None, "", [], {}):
            continue
        if name.lower().startswith("urn:") and isinstance(value, Mapping):
            for attribute, inner in value.items():
                if inner in (None, "", [], {}):
                    continue
                yield from _paths(f"{name}:{attribute}", inner)
        else:
            yield from _paths(name, value)


def _paths(path: str, value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        if path.casefold() == MANAGER_PATH.casefold():
            yield path  # the manager is mapped whole (a link to the manager's record)
            return
        for sub, inner in value.items():
            if inner not in (None, "", [], {}) and not isinstance(inner, Mapping | list):
                yield f"{path}.{sub}"
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping):
                kind = item.get("type")
                for sub, inner in item.items():
                    if sub in ("type", "primary") or inner in (None, "", [], {}):
                        continue
                    yield f'{path}[type eq "{kind}"].{sub}' if kind else f"{path}.{sub}"
            else:
                yield path
    else:
        yield path


def carried_attribute_paths(session: Session, org_id: int) -> list[str]:
    """The paths the organisation's most recently changed stored users carry, sorted: core
    attributes first, then extensions."""
    resources = session.scalars(
        select(ScimUser.resource)
        .where(ScimUser.org_id == org_id)
        .order_by(ScimUser.last_modified.desc())
        .limit(SAMPLED_USERS)
    )
    found = {path for resource in resources for path in paths_of(resource)}
    if session.scalar(
        select(ScimUser.pk)
        .where(ScimUser.org_id == org_id, ScimUser.manager_id.is_not(None))
        .limit(1)
    ):
        found.add(MANAGER_PATH)  # stored apart from the resource (a foreign key)
    return sorted(found, key=lambda path: (path.lower().startswith("urn:"), path.lower()))


def previewable_users(session: Session, org_id: int) -> list[PreviewableUser]:
    """Stored users to preview a source with, by userName (the first PICKER_USERS)."""
    rows = session.execute(
        select(ScimUser.id, ScimUser.user_name)
        .where(ScimUser.org_id == org_id)
        .order_by(ScimUser.user_name_folded)
        .limit(PICKER_USERS)
    )
    return [PreviewableUser(id, user_name) for id, user_name in rows]


def preview_field_value(
    session: Session, org_id: int, field_key: str, source: str, user_id: str
) -> Preview:
    """The value `field_key` would take from `source` for the stored user `user_id`.

    Refuses as saving would (InvalidFieldMapping: unknown field, not a path, a link field without
    the manager), and with `kinabase.errors.NotFound` for an id of no stored user of the
    organisation.
    """
    field = check_colleague_field_source(session, org_id, field_key, source)
    try:
        stored = get_user(session, org_id, user_id)
    except ScimNotFound:
        raise NotFound(f"no stored user {user_id} in this organisation") from None
    value = directory_user_from_resource(stored.resource).value_at(source)
    shown = _shown(session, org_id, source, value)
    return Preview(field_key, field.name, source, stored.row.user_name, shown)


def _shown(session: Session, org_id: int, source: str, value: Any) -> str | None:
    if value in (None, "", [], {}):
        return None
    if source.casefold() == MANAGER_PATH.casefold() and isinstance(value, Mapping):
        manager_id = value.get("value")
        manager = session.scalar(
            select(ScimUser.user_name).where(ScimUser.org_id == org_id, ScimUser.id == manager_id)
        )
        return manager or str(manager_id)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
