"""The store of provisioned users: SCIM User resources exactly as the client sent them.

Repositories never commit: the request owns the transaction. userName uniqueness is the
database's unique index on (org_id, lower(user_name)); a clash, even between two concurrent
POSTs, surfaces as an IntegrityError that becomes 409 `uniqueness` (RFC 7644 §3.3). The manager
lives in `manager_id`, and must name a user of the same organisation (400 `invalidValue`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Row, Select, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value

from kinabase.base import utcnow
from kinabase.database import batches
from kinabase.names import fold_case
from scim_server.protocol.cursors import CursorPage, Position
from scim_server.protocol.discovery import load_registry
from scim_server.protocol.errors import InvalidValue, NotFound, Uniqueness
from scim_server.protocol.filter_ast import CompareOp, Comparison
from scim_server.protocol.query import ListQuery
from scim_server.protocol.references import attach_manager, detach_manager
from scim_server.store.filter_targets import user_target
from scim_server.store.integrity import flush_unique, violates
from scim_server.store.paging import count_matches, cursor_page, index_page, where_and_order
from scim_server.store.tables import ScimUser, ScimUserValue, user_columns, user_values

_Manager = aliased(ScimUser, name="manager")
USER_NAME_INDEX = "uq_scim_users_org_user_name"


@dataclass(frozen=True)
class StoredUser:
    """A stored user with its manager's public id."""

    row: ScimUser
    manager_id: str | None

    @property
    def resource(self) -> dict[str, Any]:
        """The resource as the client sent it, with `id` and the manager put back."""
        resource = attach_manager(self.row.resource, load_registry().user, self.manager_id)
        resource["id"] = self.row.id
        return resource


def _with_manager() -> Select[ScimUser, str | None]:
    return select(ScimUser, _Manager.id).outerjoin(_Manager, _Manager.pk == ScimUser.manager_id)


def _stored(row: Row[ScimUser, str | None]) -> StoredUser:
    return StoredUser(row=row[0], manager_id=row[1])


# Built once (a manager's PATCH runs it): no construction or cache-key work.
_PKS = select(ScimUser.id, ScimUser.pk).where(
    ScimUser.org_id == bindparam("p_org"), ScimUser.id.in_(bindparam("p_ids", expanding=True))
)


def user_pks(session: Session, org_id: int, ids: Collection[str]) -> dict[str, int]:
    """The internal keys of those of `ids` that are users of the organisation (one statement
    per BATCH_SIZE ids)."""
    found: dict[str, int] = {}
    for batch in batches(ids):
        rows = session.execute(_PKS, {"p_org": org_id, "p_ids": list(batch)})
        found.update((public_id, pk) for public_id, pk in rows)
    return found


def require_users(session: Session, org_id: int, ids: Collection[str]) -> dict[str, int]:
    """The keys of `ids`, every one of which must be a user of the organisation.

    A reference to anything else — another organisation's user, a group, nothing — is 400
    `invalidValue`, worded the same in every case so that nothing leaks across organisations.
    """
    found = user_pks(session, org_id, ids)
    missing = sorted(set(ids) - found.keys())
    if missing:
        raise InvalidValue(f"No user with id {', '.join(repr(m) for m in missing[:5])}.")
    return found


# Built once (every request on /Users/{id} runs one): no construction or cache-key work.
_BY_ID = _with_manager().where(
    ScimUser.org_id == bindparam("org_id"), ScimUser.id == bindparam("id")
)
_BY_ID_FOR_UPDATE = _BY_ID.with_for_update(of=ScimUser)


def get_user(
    session: Session, org_id: int, user_id: str, *, for_update: bool = False
) -> StoredUser:
    """The organisation's user with this id, or 404; `for_update` locks the row for a write."""
    statement = _BY_ID_FOR_UPDATE if for_update else _BY_ID
    row = session.execute(statement, {"org_id": org_id, "id": user_id}).first()
    if row is None:
        raise NotFound(f"User {user_id} not found.")
    return _stored(row)


def create_user(session: Session, org_id: int, resource: Mapping[str, Any]) -> StoredUser:
    """Store a new user (RFC 7644 §3.3); its manager must be a user of the organisation."""
    schema = load_registry().user
    document, manager_id = detach_manager(resource, schema)
    document.pop("id", None)
    manager_pk = require_users(session, org_id, [manager_id])[manager_id] if manager_id else None
    row = ScimUser(
        id=str(uuid.uuid4()),
        org_id=org_id,
        manager_id=manager_pk,
        version=1,
        resource=document,
        **user_columns(document, schema),
    )
    session.add(row)
    flush_unique(session, USER_NAME_INDEX, _name_taken(document))
    _write_values(session, row, document)
    return StoredUser(row=row, manager_id=manager_id)


def update_user(session: Session, stored: StoredUser, resource: Mapping[str, Any]) -> StoredUser:
    """Replace the stored resource with `resource` (the whole new state) and bump its version."""
    schema = load_registry().user
    row = stored.row
    document, manager_id = detach_manager(resource, schema)
    document.pop("id", None)
    if manager_id == row.id:
        raise InvalidValue("A user cannot be their own manager.")
    changed: dict[str, Any] = {}
    if manager_id != stored.manager_id:
        changed["manager_id"] = (
            require_users(session, row.org_id, [manager_id])[manager_id] if manager_id else None
        )
    for column, value in user_columns(document, schema).items():
        if getattr(row, column) != value:
            changed[column] = value
    before = user_values(row.resource, schema)
    if document != row.resource:
        changed["resource"] = document
    changed.update(version=row.version + 1, last_modified=utcnow())
    # One Core UPDATE of what changed (no unit of work); the row object then shows the new
    # state as loaded, not as a pending change.
    try:
        session.execute(_UPDATE, {"p_pk": row.pk, **changed})
    except IntegrityError as error:
        if violates(error, USER_NAME_INDEX):
            raise Uniqueness(_name_taken(document)) from None
        raise
    for column, value in changed.items():
        set_committed_value(row, column, value)
    if user_values(document, schema) != before:
        session.execute(delete(ScimUserValue).where(ScimUserValue.user_pk == row.pk))
        _write_values(session, row, document)
    return StoredUser(row=row, manager_id=manager_id)


# The SET clause is the changed columns, given as parameters (each set of columns compiles once).
_UPDATE = update(cast(Table, ScimUser.__table__)).where(
    ScimUser.__table__.c.pk == bindparam("p_pk")
)


def delete_user(session: Session, stored: StoredUser) -> None:
    """Delete the user; the database removes their memberships and clears them as manager.

    Their reports lose a manager, so their versions move on too.
    """
    session.execute(
        update(ScimUser)
        .where(ScimUser.manager_id == stored.row.pk)
        .values(version=ScimUser.version + 1, last_modified=utcnow())
    )
    session.execute(delete(ScimUser).where(ScimUser.pk == stored.row.pk))


def query_users(
    session: Session, org_id: int, query: ListQuery, dialect_name: str
) -> tuple[int, list[StoredUser]]:
    """The total number of matching users and one page of them (RFC 7644 §3.4.2).

    Filtering, sorting and paging all happen in the database; ties (and unsorted queries) are
    ordered by creation, so pages are stable. The count is a second query only when the page
    cannot tell it (Entra's lookups by userName need just one).
    """
    user_name = _user_name_lookup(query)
    if user_name is not None:  # Entra's match before each create: one prebuilt statement
        found = session.execute(
            _BY_USER_NAME, {"org_id": org_id, "folded": fold_case(user_name)}
        ).first()
        return (0, []) if found is None else (1, [_stored(found)])
    condition, ordering = where_and_order(
        ScimUser.org_id == org_id, ScimUser.pk, user_target(), query, dialect_name
    )
    page = (
        [
            _stored(row)
            for row in session.execute(
                index_page(_with_manager().where(*condition), ordering, query)
            )
        ]
        if query.count
        else []
    )
    return count_matches(session, ScimUser, condition, query, len(page)), page


# The compiled form of `userName eq "..."` (filters._compare_folded: the stored fold_case key,
# unique per organisation), built once.
_BY_USER_NAME = _with_manager().where(
    ScimUser.org_id == bindparam("org_id"), ScimUser.user_name_folded == bindparam("folded")
)


def _user_name_lookup(query: ListQuery) -> str | None:
    """The userName of a query that is exactly Entra's lookup `userName eq "..."` (first page,
    unsorted, room for the one match), else None."""
    condition = query.filter
    if (
        isinstance(condition, Comparison)
        and condition.op is CompareOp.EQ
        and condition.path.sub_attribute is None
        and condition.path.attribute is load_registry().user.attribute("userName")
        and isinstance(condition.value, str)
        and query.sort_by is None
        and query.offset == 0
        and query.count > 0
    ):
        return condition.value
    return None


def cursor_query_users(
    session: Session, org_id: int, query: ListQuery, position: Position | None, dialect_name: str
) -> CursorPage[StoredUser]:
    """One keyset page of matching users after (or before) `position` (RFC 9865)."""
    condition, ordering = where_and_order(
        ScimUser.org_id == org_id, ScimUser.pk, user_target(), query, dialect_name
    )
    return cursor_page(
        session,
        _with_manager(),
        ScimUser,
        condition,
        ordering,
        query=query,
        position=position,
        item=_stored,
    )


def iter_users(session: Session, org_id: int, page_size: int = 500) -> Iterator[StoredUser]:
    """Every user of the organisation, read in pages by key (for re-projecting them all)."""
    after = 0
    while True:
        page = [
            _stored(row)
            for row in session.execute(
                _with_manager()
                .where(ScimUser.org_id == org_id, ScimUser.pk > after)
                .order_by(ScimUser.pk)
                .limit(page_size)
            )
        ]
        yield from page
        if len(page) < page_size:
            return
        after = page[-1].row.pk


def find_users_by_keys(
    session: Session, org_id: int, external_ids: Collection[str], user_names: Collection[str]
) -> list[StoredUser]:
    """The organisation's users whose externalId is one of `external_ids` or whose userName is
    one of `user_names` (case-insensitively): indexed lookups, for matching a batch."""
    if not external_ids and not user_names:
        return []
    lowered = sorted({name.lower() for name in user_names})
    return [
        _stored(row)
        for row in session.execute(
            _with_manager().where(
                ScimUser.org_id == org_id,
                ScimUser.external_id.in_(sorted(external_ids))
                | func.lower(ScimUser.user_name).in_(lowered),
            )
        )
    ]


_INSERT_VALUES = insert(cast(Table, ScimUserValue.__table__))  # Core: no ORM bulk-insert work


def _write_values(session: Session, row: ScimUser, document: Mapping[str, Any]) -> None:
    values: Sequence[dict[str, Any]] = user_values(document, load_registry().user)
    if values:
        session.execute(
            _INSERT_VALUES, [{"user_pk": row.pk, "org_id": row.org_id, **v} for v in values]
        )


def _name_taken(document: Mapping[str, Any]) -> str:
    return f"userName {document.get('userName')!r} is already in use in this organisation."
