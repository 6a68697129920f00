"""Tables of the SCIM resource store: provisioned users, groups and memberships.

Every row belongs to one organisation (`org_id`). A resource is kept as the client sent it, in
`resource` (JSON on SQLite, JSONB on PostgreSQL), with copies of what clients filter and sort on
in indexed columns. The repository keeps the copies in step with `resource` on every write by
using `user_columns`, `group_columns` and `user_values` below; the filter compiler
(`scim_server.store.filters`) relies on that.

`scim_users`
    `pk` internal key; `id` the public SCIM id (uuid4 string, unique); `org_id`;
    `user_name`, and `user_name_folded` its `fold_case` key (unique per organisation);
    `external_id`, `display_name`, `active` (copies); `manager_id` the enterprise manager
    (FK to scim_users.pk, ON DELETE SET NULL: deleting a manager clears it everywhere);
    `version` (the ETag, starts at 1); `created`, `last_modified` (aware UTC);
    `resource` — everything else as sent. `resource` never holds `id`, `meta`, `schemas` or the
    manager: the manager lives only in `manager_id` and is put back on output with
    `scim_server.protocol.references.attach_manager`.
`scim_user_values`
    one row per value of the multi-valued attributes clients filter on (`emails`): `user_pk`
    (ON DELETE CASCADE), `org_id`, `attribute`, `type`, `value`, `is_primary`, so that
    `emails[type eq "work" and value eq "x"]` is an indexed EXISTS. Rewritten on every write.
`scim_groups`
    `pk`, `id`, `org_id`, `display_name` and `display_name_folded` its `fold_case` key (unique
    per organisation: Entra requires unique group names), `external_id`, `version`, `created`,
    `last_modified`, `resource` — without `members`.
`scim_group_members`
    (`group_pk`, `member_pk`) primary key, both ON DELETE CASCADE; an index on `member_pk`.
    Adding or removing a member is one insert or delete; members are read only when a response
    includes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from kinabase.base import Base, UtcDateTime, utcnow
from scim_server.protocol.attribute_values import get_value
from scim_server.protocol.case_folding import fold_case
from scim_server.protocol.registry import ResourceSchema

JSON_DOCUMENT = JSON().with_variant(JSONB(), "postgresql")


def _folded_default(column: str) -> Callable[[DefaultExecutionContext], str | None]:
    """An insert default: the folded key of `column`'s value (rows inserted in bulk)."""

    def default(context: DefaultExecutionContext) -> str | None:
        value = context.get_current_parameters().get(column)  # type: ignore[no-untyped-call]
        return fold_case(value) if isinstance(value, str) else None

    return default


# Multi-valued attributes copied to scim_user_values, and the sub-attributes kept per value.
SIDE_TABLE_ATTRIBUTES = ("emails",)
SIDE_TABLE_COLUMNS = {"type": "type", "value": "value", "primary": "is_primary"}


class ScimUser(Base):
    """A User resource provisioned into an organisation (RFC 7643 §4.1)."""

    __tablename__ = "scim_users"
    __table_args__ = (Index("ix_scim_users_org_external_id", "org_id", "external_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    user_name: Mapped[str] = mapped_column(Text)
    user_name_folded: Mapped[str] = mapped_column(
        Text, nullable=True, default=_folded_default("user_name")
    )
    external_id: Mapped[str | None] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool | None] = mapped_column(Boolean)
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("scim_users.pk", ondelete="SET NULL"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_modified: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resource: Mapped[dict[str, Any]] = mapped_column(JSON_DOCUMENT)


class ScimUserValue(Base):
    """One value of a multi-valued user attribute that filters search (e.g. one email)."""

    __tablename__ = "scim_user_values"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_pk: Mapped[int] = mapped_column(
        ForeignKey("scim_users.pk", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    attribute: Mapped[str] = mapped_column(String(64))
    type: Mapped[str | None] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)
    is_primary: Mapped[bool | None] = mapped_column(Boolean)


class ScimGroup(Base):
    """A Group resource provisioned into an organisation (RFC 7643 §4.2)."""

    __tablename__ = "scim_groups"
    __table_args__ = (Index("ix_scim_groups_org_external_id", "org_id", "external_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(Text)
    display_name_folded: Mapped[str] = mapped_column(
        Text, nullable=True, default=_folded_default("display_name")
    )
    external_id: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_modified: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resource: Mapped[dict[str, Any]] = mapped_column(JSON_DOCUMENT)


class ScimGroupMember(Base):
    """A user's membership of a group."""

    __tablename__ = "scim_group_members"

    group_pk: Mapped[int] = mapped_column(
        ForeignKey("scim_groups.pk", ondelete="CASCADE"), primary_key=True
    )
    member_pk: Mapped[int] = mapped_column(
        ForeignKey("scim_users.pk", ondelete="CASCADE"), primary_key=True, index=True
    )


# Case-insensitive uniqueness and lookups (RFC 7643 §4.1.1: userName is caseExact false), on the
# folded keys (protocol.case_folding) for userName and a group's displayName.
Index("uq_scim_users_org_user_name", ScimUser.org_id, ScimUser.user_name_folded, unique=True)
Index("ix_scim_users_org_display_name", ScimUser.org_id, func.lower(ScimUser.display_name))
Index(
    "ix_scim_user_values_lookup",
    ScimUserValue.org_id,
    ScimUserValue.attribute,
    func.lower(ScimUserValue.value),
)
Index(
    "uq_scim_groups_org_display_name", ScimGroup.org_id, ScimGroup.display_name_folded, unique=True
)
# Unsorted cursor pages (RFC 9865) read an organisation's rows in key order from a position.
Index("ix_scim_users_org_pk", ScimUser.org_id, ScimUser.pk)
Index("ix_scim_groups_org_pk", ScimGroup.org_id, ScimGroup.pk)


def _text(resource: Mapping[str, Any], schema: ResourceSchema, name: str) -> Any:
    return get_value(resource, schema.attribute(name))


def _folded(value: Any) -> Any:
    return fold_case(value) if isinstance(value, str) else value


def user_columns(resource: Mapping[str, Any], schema: ResourceSchema) -> dict[str, Any]:
    """The indexed column values of `scim_users` for a User resource."""
    user_name = _text(resource, schema, "userName")
    return {
        "user_name": user_name,
        "user_name_folded": _folded(user_name),
        "external_id": _text(resource, schema, "externalId"),
        "display_name": _text(resource, schema, "displayName"),
        "active": _text(resource, schema, "active"),
    }


def group_columns(resource: Mapping[str, Any], schema: ResourceSchema) -> dict[str, Any]:
    """The indexed column values of `scim_groups` for a Group resource."""
    display_name = _text(resource, schema, "displayName")
    return {
        "display_name": display_name,
        "display_name_folded": _folded(display_name),
        "external_id": _text(resource, schema, "externalId"),
    }


def user_values(resource: Mapping[str, Any], schema: ResourceSchema) -> list[dict[str, Any]]:
    """The `scim_user_values` rows of a User resource (without `user_pk` and `org_id`).

    One row per value, even a value without the copied sub-attributes, so that "has any
    value" means the same in SQL and in the resource.
    """
    rows = []
    for name in SIDE_TABLE_ATTRIBUTES:
        values = get_value(resource, schema.attribute(name))
        for item in values if isinstance(values, list) else []:
            if isinstance(item, Mapping):
                row = {column: item.get(sub) for sub, column in SIDE_TABLE_COLUMNS.items()}
                rows.append({"attribute": name, **row})
    return rows
