"""Where each SCIM attribute of a resource type lives in the store's tables.

The filter compiler asks a `FilterTarget` where an attribute is: an indexed column of the
resource's own row, a constant, a `Relation` (rows of another table reached by an EXISTS), or,
failing those, the `resource` JSON document. Common attributes (`id`, `meta`, `schemas`) are
never in the document: those without a column (`meta.location`, `meta.version`, `schemas`)
cannot be filtered on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, exists, literal, select
from sqlalchemy.orm import QueryableAttribute, aliased

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.registry import ResourceSchema
from scim_server.protocol.schema import Attribute
from scim_server.store.tables import (
    SIDE_TABLE_ATTRIBUTES,
    SIDE_TABLE_COLUMNS,
    ScimGroup,
    ScimGroupMember,
    ScimUser,
    ScimUserValue,
)

AttributeKey = tuple[str, str]


def column(attribute: QueryableAttribute[Any] | ColumnElement[Any]) -> ColumnElement[Any]:
    """The column expression of a mapped attribute (of a model or an alias)."""
    if isinstance(attribute, QueryableAttribute):
        return attribute.expression
    return attribute


def attribute_key(attribute: Attribute) -> AttributeKey:
    """The identity of an attribute: its schema URN and name, lowercased."""
    return attribute.schema.lower(), attribute.name.lower()


@dataclass(frozen=True)
class Relation:
    """Rows of another table that hold an attribute's values.

    `exists(columns, condition)` is an EXISTS over the related rows of the outer resource row
    that satisfy `condition`; `columns` maps sub-attribute names (lowercase) to columns of those
    rows. Each call makes fresh aliases, so one filter can use a relation twice.
    """

    build: Callable[[], tuple[Mapping[str, ColumnElement[Any]], Any]]

    def exists(
        self, condition: Callable[[Mapping[str, ColumnElement[Any]]], ColumnElement[bool]]
    ) -> ColumnElement[bool]:
        columns, query = self.build()
        return exists(query.where(condition(columns)))


@dataclass(frozen=True)
class FilterTarget:
    """The storage of one resource type, for the filter compiler."""

    schema: ResourceSchema
    document: ColumnElement[Any]
    columns: Mapping[tuple[AttributeKey, str | None], ColumnElement[Any]]
    relations: Mapping[AttributeKey, Relation]
    # Columns holding the `fold_case` key of a case-insensitive column above.
    folded: Mapping[tuple[AttributeKey, str | None], ColumnElement[Any]] = field(
        default_factory=dict
    )

    def is_common(self, attribute: Attribute) -> bool:
        return attribute.schema == self.schema.common.id


def _columns(
    schema: ResourceSchema, mapping: Mapping[str, QueryableAttribute[Any] | ColumnElement[Any]]
) -> dict[tuple[AttributeKey, str | None], ColumnElement[Any]]:
    # "meta.created" -> ((common urn, "meta"), "created")
    result = {}
    for path, attribute in mapping.items():
        name, _, sub = path.partition(".")
        result[attribute_key(schema.attribute(name)), sub.lower() or None] = column(attribute)
    return result


def _user_values(name: str) -> Relation:
    def build() -> tuple[Mapping[str, ColumnElement[Any]], Any]:
        value = aliased(ScimUserValue)
        columns = {sub: column(getattr(value, name)) for sub, name in SIDE_TABLE_COLUMNS.items()}
        query = (
            select(literal(1))
            .select_from(value)
            .where(value.user_pk == ScimUser.pk, value.attribute == name)
            .correlate_except(value)
        )
        return columns, query

    return Relation(build)


def _manager() -> tuple[Mapping[str, ColumnElement[Any]], Any]:
    manager = aliased(ScimUser)
    query = (
        select(literal(1))
        .select_from(manager)
        .where(manager.pk == ScimUser.manager_id)
        .correlate_except(manager)
    )
    return {"value": column(manager.id)}, query


def _groups_of_user() -> tuple[Mapping[str, ColumnElement[Any]], Any]:
    membership, group = aliased(ScimGroupMember), aliased(ScimGroup)
    query = (
        select(literal(1))
        .select_from(membership)
        .join(group, group.pk == membership.group_pk)
        .where(membership.member_pk == ScimUser.pk)
        .correlate_except(membership, group)
    )
    return {"value": column(group.id), "display": column(group.display_name)}, query


def _members_of_group() -> tuple[Mapping[str, ColumnElement[Any]], Any]:
    membership, member = aliased(ScimGroupMember), aliased(ScimUser)
    query = (
        select(literal(1))
        .select_from(membership)
        .join(member, member.pk == membership.member_pk)
        .where(membership.group_pk == ScimGroup.pk)
        .correlate_except(membership, member)
    )
    return {"value": column(member.id), "display": column(member.display_name)}, query


def user_target() -> FilterTarget:
    """Where User attributes live: `scim_users` and its related tables."""
    schema = load_registry().user
    columns: dict[str, QueryableAttribute[Any] | ColumnElement[Any]] = {
        "id": ScimUser.id,
        "userName": ScimUser.user_name,
        "externalId": ScimUser.external_id,
        "displayName": ScimUser.display_name,
        "active": ScimUser.active,
        "meta.created": ScimUser.created,
        "meta.lastModified": ScimUser.last_modified,
        "meta.resourceType": literal(schema.name),
    }
    relations = {attribute_key(schema.attribute(n)): _user_values(n) for n in SIDE_TABLE_ATTRIBUTES}
    relations[attribute_key(schema.attribute("manager"))] = Relation(_manager)
    relations[attribute_key(schema.attribute("groups"))] = Relation(_groups_of_user)
    folded = _columns(schema, {"userName": ScimUser.user_name_folded})
    return FilterTarget(
        schema, column(ScimUser.resource), _columns(schema, columns), relations, folded
    )


def group_target() -> FilterTarget:
    """Where Group attributes live: `scim_groups` and `scim_group_members`."""
    schema = load_registry().group
    columns: dict[str, QueryableAttribute[Any] | ColumnElement[Any]] = {
        "id": ScimGroup.id,
        "displayName": ScimGroup.display_name,
        "externalId": ScimGroup.external_id,
        "meta.created": ScimGroup.created,
        "meta.lastModified": ScimGroup.last_modified,
        "meta.resourceType": literal(schema.name),
    }
    relations = {attribute_key(schema.attribute("members")): Relation(_members_of_group)}
    folded = _columns(schema, {"displayName": ScimGroup.display_name_folded})
    return FilterTarget(
        schema, column(ScimGroup.resource), _columns(schema, columns), relations, folded
    )
