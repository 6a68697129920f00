"""The colleague field mapping: which SCIM attribute fills which field of the Colleagues collection.

Kinabase's "Importing Roles & Hierarchies" asks administrators to create Job Title and Manager
fields in Colleagues and then "map fields in Identity & Provisioning"
(kinabase.com/support/setting-up/connecting-to-microsoft-365). The mapping is data in two layers:

- `DEFAULT_SOURCES`, for every organisation: Job Title ← title, Manager ← the enterprise manager,
  Department ← the enterprise department (Entra's default attribute mappings send all three);
- rows of `colleague_field_mappings`, the organisation's own choices, which override the defaults
  field by field. A row with no source says "not mapped", so a default can be switched off;
  resetting deletes rows and brings the defaults back.

A source is any SCIM attribute path (RFC 7644 §3.10), custom extensions included, e.g.
`urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User:costCentre`; values are read with the
resource's `value_at`. Link fields (Colleague fields) take only the manager source, and the manager
source fills only Colleague fields: its value is a directory id, meaningless as text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ForeignKey, String, bindparam, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kinabase.base import Base
from kinabase.colleagues import COLLEAGUES_SLUG, colleague_fields
from kinabase.collections import Collection, Field, FieldType, Record
from scim_server.mapping.directory import DEPARTMENT_PATH, MANAGER_PATH
from scim_server.mapping.errors import InvalidFieldMapping

DEFAULT_SOURCES: dict[str, str] = {
    "jobTitle": "title",
    "manager": MANAGER_PATH,
    "department": DEPARTMENT_PATH,
}
SOURCE_LENGTH = 300
# attrPath of RFC 7644 §3.10 ([URI ":"] ATTRNAME [subAttr]), with an optional value filter as in
# phoneNumbers[type eq "mobile"].value; the protocol layer's reader interprets it.
_ATTR_PATH = re.compile(
    r"(?:urn:[A-Za-z0-9][A-Za-z0-9.:_-]*:)?[A-Za-z][\w$-]*(?:\[[^\[\]]+\])?(?:\.[A-Za-z][\w$-]*)?",
    re.IGNORECASE,
)


class ColleagueFieldMapping(Base):
    """An organisation's choice for one Colleague field: its source, or none (not mapped)."""

    __tablename__ = "colleague_field_mappings"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    field_id: Mapped[int] = mapped_column(
        ForeignKey("fields.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str | None] = mapped_column(String(SOURCE_LENGTH))


@dataclass(frozen=True)
class FieldSource:
    """Where one Colleague field takes its value from; `source` None means not mapped."""

    field: Field
    source: str | None
    is_default: bool


def is_manager_path(path: str) -> bool:
    """Whether the path names the enterprise manager (attribute names are case-insensitive)."""
    return path.casefold() == MANAGER_PATH.casefold()


# Built once (every write of a provisioned user runs it): no construction or cache-key work.
_MAPPING = (
    select(Field, ColleagueFieldMapping.field_id, ColleagueFieldMapping.source)
    .join(Collection, Collection.id == Field.collection_id)
    .outerjoin(
        ColleagueFieldMapping,
        (ColleagueFieldMapping.field_id == Field.id)
        & (ColleagueFieldMapping.org_id == bindparam("org_id")),
    )
    .where(Collection.org_id == bindparam("org_id"), Collection.slug == COLLEAGUES_SLUG)
)


def colleague_field_mapping(session: Session, org_id: int) -> list[FieldSource]:
    """Every mappable Colleague field of the organisation with its effective source, by key.

    One query (every write of a provisioned user reads it): the Colleagues collection's fields
    with the organisation's stored choice for each, if any.
    """
    rows = session.execute(_MAPPING, {"org_id": org_id}).all()
    entries = []
    for field, stored_field_id, stored_source in sorted(rows, key=lambda row: row[0].key):
        if field.is_system:
            continue
        if stored_field_id is not None:
            entries.append(FieldSource(field, stored_source, is_default=False))
        else:
            entries.append(
                FieldSource(field, _fitting_default(field.key, field.type), is_default=True)
            )
    return entries


def check_colleague_field_source(
    session: Session, org_id: int, field_key: str, source: str
) -> Field:
    """The field, if it can be filled from this SCIM attribute path; InvalidFieldMapping, saying
    why, if not. Writes nothing (a preview checks as saving would)."""
    field = _mappable_field(session, org_id, field_key)
    problem = _source_problem(field, source)
    if problem is not None:
        raise InvalidFieldMapping(problem)
    return field


def set_colleague_field_source(session: Session, org_id: int, field_key: str, source: str) -> None:
    """Fill this Colleague field from this SCIM attribute path. Refuses before writing."""
    _store(
        session, org_id, check_colleague_field_source(session, org_id, field_key, source), source
    )


def unset_colleague_field_source(session: Session, org_id: int, field_key: str) -> None:
    """Fill this Colleague field from nothing, even if a default would. Refuses before writing."""
    _store(session, org_id, _mappable_field(session, org_id, field_key), None)


def reset_colleague_field_mapping(
    session: Session, org_id: int, field_key: str | None = None
) -> None:
    """Forget the organisation's choices (for one field, or all) and use the defaults again."""
    statement = delete(ColleagueFieldMapping).where(ColleagueFieldMapping.org_id == org_id)
    if field_key is not None:
        field = _mappable_field(session, org_id, field_key)
        statement = statement.where(ColleagueFieldMapping.field_id == field.id)
    session.execute(statement)


def fill_colleague_fields(
    record: Record, mapping: Sequence[FieldSource], value_at: Callable[[str], Any]
) -> None:
    """Set the record's mapped non-link fields from the resource; empty values clear a field."""
    data = filled_colleague_data(record.data, mapping, value_at)
    if data != record.data:
        record.data = data


def filled_colleague_data(
    data: dict[str, Any], mapping: Sequence[FieldSource], value_at: Callable[[str], Any]
) -> dict[str, Any]:
    """A Colleague record's data with its mapped non-link fields set from the resource, as a new
    dict: an empty value (None, "", [] or {}) clears its field."""
    filled = dict(data)
    for entry in mapping:
        if entry.source is not None and not entry.field.type.is_link:
            value = value_at(entry.source)
            if value in (None, "", [], {}):
                filled.pop(entry.field.key, None)
            else:
                filled[entry.field.key] = value
    return filled


def mapped_values(mapping: Sequence[FieldSource], value_at: Callable[[str], Any]) -> dict[str, Any]:
    """The values `fill_colleague_fields` would set on an empty record, by field key."""
    return filled_colleague_data({}, mapping, value_at)


def manager_fields(mapping: Sequence[FieldSource]) -> list[Field]:
    """The Colleague fields that link to the manager's record."""
    return [entry.field for entry in mapping if entry.source and entry.field.type.is_link]


def _mappable_field(session: Session, org_id: int, field_key: str) -> Field:
    field = colleague_fields(session, org_id).get(field_key)
    if field is None:
        raise InvalidFieldMapping(f"the Colleagues collection has no field {field_key!r}")
    if field.is_system:
        raise InvalidFieldMapping(f"field {field_key!r} mirrors the user and cannot be mapped")
    return field


@functools.cache
def _fitting_default(key: str, type_: FieldType) -> str | None:
    """The default source of a field with this key and type, if it can fill it (a pure
    function of both: remembered, since every write of a provisioned user asks)."""
    default = DEFAULT_SOURCES.get(key)
    if default is None or _problem(key, type_, default) is not None:
        return None
    return default


def _source_problem(field: Field, source: str) -> str | None:
    return _problem(field.key, field.type, source)


def _problem(key: str, type_: FieldType, source: str) -> str | None:
    if len(source) > SOURCE_LENGTH or not _ATTR_PATH.fullmatch(source):
        return f"{source!r} is not a SCIM attribute path"
    if is_manager_path(source) and type_ is not FieldType.COLLEAGUE:
        return f"the manager fills Colleague fields only, and {key!r} is a {type_} field"
    if type_.is_link and not is_manager_path(source):
        return f"link field {key!r} can only be filled from the manager ({MANAGER_PATH})"
    return None


def _store(session: Session, org_id: int, field: Field, source: str | None) -> None:
    row = session.get(ColleagueFieldMapping, (org_id, field.id))
    if row is None:
        session.add(ColleagueFieldMapping(org_id=org_id, field_id=field.id, source=source))
    else:
        row.source = source
    session.flush()
