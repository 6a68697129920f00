"""Bulk operations (RFC 7644 §3.7) through the same provisioning functions as single requests.

Each operation runs in a savepoint of the caller's transaction: one that fails is rolled back
alone and reported with the SCIM error the single request would have answered, and the others
stand ("The service provider MUST continue performing as many changes as possible and disregard
partial failures", §3.7). `failOnErrors` stops the run once that many have failed; the operations
not run are left out of the result (§3.7.3). A bug is not a failure of one operation: it
propagates, and the whole request rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from kinabase.errors import DomainError
from scim_server.protocol.bulk import (
    BulkOperation,
    BulkRequest,
    execution_order,
    resolve_references,
)
from scim_server.protocol.discovery import load_registry
from scim_server.protocol.errors import Conflict, ScimError
from scim_server.protocol.etag import Preconditions
from scim_server.protocol.leniencies import Leniency, noting
from scim_server.protocol.patch_request import parse_patch_request
from scim_server.protocol.resource import parse_resource
from scim_server.provisioning import groups, users
from scim_server.provisioning.activity import (
    GROUP,
    USER,
    Effect,
    group_deleted,
    group_patched,
    group_written,
    name_in_body,
    refusal_of,
    stored_name,
    user_deleted,
    user_written,
)
from scim_server.provisioning.errors import scim_error_for


@dataclass(frozen=True)
class BulkResult:
    """What one operation did: the resource it reached (id and version), or its error; and, for
    the provisioning activity, its effect (None for a PATCH that changed nothing) and the client
    leniencies it needed."""

    operation: BulkOperation
    status: int
    resource_id: str | None
    version: int | None
    error: ScimError | None = None
    effect: Effect | None = None
    leniencies: frozenset[Leniency] = frozenset()


def run_bulk(session: Session, org_id: int, request: BulkRequest) -> list[BulkResult]:
    """Run the operations (bulkId references resolved) and return their results in request
    order. Never commits."""
    order, in_cycle = execution_order(request.operations)
    created: dict[str, str] = {}
    results: dict[int, BulkResult] = {}
    errors = 0
    for operation in order + [op for op in request.operations if op.index in in_cycle]:
        if request.fail_on_errors is not None and errors >= request.fail_on_errors:
            break
        if operation.index in in_cycle:
            error = Conflict("The operation is part of, or waits on, a circular bulkId reference.")
            result = _failed(session, org_id, operation, error, created=created)
        else:
            result = _run_in_savepoint(session, org_id, operation, created)
        if result.error is not None:
            errors += 1
        elif operation.method == "POST" and operation.bulk_id and result.resource_id:
            created[operation.bulk_id] = result.resource_id
        results[operation.index] = result
    return [results[index] for index in sorted(results)]


def _run_in_savepoint(
    session: Session, org_id: int, operation: BulkOperation, created: dict[str, str]
) -> BulkResult:
    with noting() as applied:
        savepoint = session.begin_nested()
        try:
            result = _run(session, org_id, operation, created)
        except (ScimError, DomainError) as error:
            savepoint.rollback()
            return _failed(
                session, org_id, operation, error, created=created, leniencies=frozenset(applied)
            )
        savepoint.commit()
    return replace(result, leniencies=frozenset(applied))


def _run(
    session: Session, org_id: int, operation: BulkOperation, created: dict[str, str]
) -> BulkResult:
    data = resolve_references(operation.data, created)
    resource_id = resolve_references(operation.resource_id, created)
    preconditions = Preconditions(if_match=operation.version)
    if operation.endpoint == "Users":
        reached_id, version, effect = _user_write(
            session, org_id, operation.method, data=data, user_id=resource_id,
            preconditions=preconditions,
        )  # fmt: skip
    else:
        reached_id, version, effect = _group_write(
            session, org_id, operation.method, data=data, group_id=resource_id,
            preconditions=preconditions,
        )  # fmt: skip
    return BulkResult(operation, STATUS[operation.method], reached_id, version, effect=effect)


STATUS = {"POST": 201, "PUT": 200, "PATCH": 200, "DELETE": 204}
# The resource's id, its version (None once deleted), and the effect for the activity.
Reached = tuple[str, int | None, Effect | None]


def _user_write(
    session: Session,
    org_id: int,
    method: str,
    *,
    data: Any,
    user_id: str,
    preconditions: Preconditions,
) -> Reached:
    schema = load_registry().user
    if method == "POST":
        write = users.create_user(session, org_id, parse_resource(data, schema))
    elif method == "PUT":
        parsed = parse_resource(data, schema)
        write = users.replace_user(session, org_id, user_id, parsed, preconditions)
    elif method == "PATCH":
        patch = parse_patch_request(data, schema)
        write = users.patch_user(session, org_id, user_id, patch, preconditions)
    else:
        deleted = users.delete_user(session, org_id, user_id, preconditions)
        return user_id, None, user_deleted(deleted)
    row = write.stored.row
    return row.id, row.version, user_written(write, STATUS[method])


def _group_write(
    session: Session,
    org_id: int,
    method: str,
    *,
    data: Any,
    group_id: str,
    preconditions: Preconditions,
) -> Reached:
    schema = load_registry().group
    if method == "POST":
        group = groups.create_group(session, org_id, parse_resource(data, schema))
    elif method == "PUT":
        parsed = parse_resource(data, schema)
        group = groups.replace_group(session, org_id, group_id, parsed, preconditions)
    elif method == "PATCH":
        patch = parse_patch_request(data, schema)
        patched = groups.patch_group(session, org_id, group_id, patch, preconditions)
        return patched.group.id, patched.group.version, group_patched(patched, STATUS[method])
    else:
        deleted = groups.delete_group(session, org_id, group_id, preconditions)
        return group_id, None, group_deleted(deleted)
    return group.id, group.version, group_written(group, STATUS[method])


def _failed(
    session: Session,
    org_id: int,
    operation: BulkOperation,
    error: ScimError | DomainError,
    *,
    created: dict[str, str],
    leniencies: frozenset[Leniency] = frozenset(),
) -> BulkResult:
    scim = scim_error_for(error) if isinstance(error, DomainError) else error
    return BulkResult(
        operation,
        scim.status,
        None,
        None,
        scim,
        _refused(session, org_id, operation, created, error),
        leniencies,
    )


def _refused(
    session: Session,
    org_id: int,
    operation: BulkOperation,
    created: dict[str, str],
    error: ScimError | DomainError,
) -> Effect:
    """The effect of a failed operation: what it was for, and why it changed nothing."""
    resource_type = USER if operation.endpoint == "Users" else GROUP
    resource_id = None
    if operation.resource_id is not None:
        try:
            resource_id = resolve_references(operation.resource_id, created)
        except ScimError:
            resource_id = operation.resource_id
    name = name_in_body(operation.data, resource_type)
    if name is None and resource_id is not None and operation.method != "POST":
        name = stored_name(session, org_id, resource_type, resource_id)
    refusal = refusal_of(error)
    return Effect(
        resource_type,
        resource_id,
        name,
        refusal.outcome,
        refusal.status,
        refusal.reason,
        refusal.detail,
    )
