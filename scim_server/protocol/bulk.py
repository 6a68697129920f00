"""Bulk requests (RFC 7644 §3.7): parsing, the order of operations and bulkId references.

A BulkRequest carries `Operations`, each with a `method` (POST, PUT, PATCH or DELETE), a `path`
(`/Users` or `/Groups` for POST, `/Users/{id}` or `/Groups/{id}` otherwise), `data` for all but
DELETE, an optional `version` (an ETag that must match, as If-Match does) and a `bulkId`,
required for POST. `failOnErrors` stops the run after that many errors (§3.7.3).

Another operation may name a resource that a POST of the same request creates as
`bulkId:<bulkId>`, anywhere in its `data` or as the id in its `path` (§3.7.2); the service puts the
created id in its place. Operations run in request order, except that an operation waits for the
POSTs whose bulkIds it names (`execution_order`). Operations whose references form a cycle, and
those waiting on them, are not run: each answers 409 (§3.7.1 allows it after trying; the groups of
this service cannot contain groups, so the cycle a client would most likely mean, group in group,
has no meaning here anyway).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scim_server.protocol.errors import InvalidSyntax, InvalidValue, PayloadTooLarge

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
METHODS = ("POST", "PUT", "PATCH", "DELETE")
RESOURCE_ENDPOINTS = ("Users", "Groups")
_REFERENCE = re.compile(r"bulkId:(.+)")
_PATH = re.compile(r"/(Users|Groups)(?:/([^/]+))?/?")


@dataclass(frozen=True)
class BulkOperation:
    """One operation of a BulkRequest, checked for shape (RFC 7644 §3.7)."""

    index: int  # its position in the request
    method: str
    endpoint: str  # "Users" or "Groups"
    resource_id: str | None  # None for POST; may be a "bulkId:…" reference
    bulk_id: str | None
    version: str | None
    data: Any

    @property
    def references(self) -> frozenset[str]:
        """The bulkIds this operation names, in its data or its path."""
        found = set(_references_in(self.data))
        if self.resource_id is not None and (match := _REFERENCE.fullmatch(self.resource_id)):
            found.add(match.group(1))
        return frozenset(found)


@dataclass(frozen=True)
class BulkRequest:
    """A parsed BulkRequest: its operations and how many errors stop it (None: never)."""

    operations: tuple[BulkOperation, ...]
    fail_on_errors: int | None


def parse_bulk_request(body: Any, *, max_operations: int) -> BulkRequest:
    """Check a BulkRequest's shape, or raise InvalidSyntax / InvalidValue (400) or
    PayloadTooLarge (413, more operations than `max_operations`, RFC 7644 §3.7.4)."""
    if not isinstance(body, Mapping):
        raise InvalidSyntax("The body must be a BulkRequest object.")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or BULK_REQUEST not in schemas:
        raise InvalidSyntax(f"A BulkRequest must list {BULK_REQUEST} in schemas.")
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise InvalidSyntax("A BulkRequest needs a non-empty Operations array.")
    if len(operations) > max_operations:
        raise PayloadTooLarge(
            f"The BulkRequest has {len(operations)} operations; maxOperations is "
            f"{max_operations} (see /ServiceProviderConfig)."
        )
    fail_on_errors = body.get("failOnErrors")
    if fail_on_errors is not None and (
        isinstance(fail_on_errors, bool)
        or not isinstance(fail_on_errors, int)
        or fail_on_errors < 1
    ):
        raise InvalidValue("failOnErrors must be a positive integer.")
    parsed = tuple(_operation(index, item) for index, item in enumerate(operations))
    bulk_ids = [op.bulk_id for op in parsed if op.bulk_id is not None]
    if len(bulk_ids) != len(set(bulk_ids)):
        raise InvalidValue("Every bulkId must be unique within the BulkRequest.")
    return BulkRequest(parsed, fail_on_errors)


def _operation(index: int, item: Any) -> BulkOperation:
    where = f"Operations[{index}]"
    if not isinstance(item, Mapping):
        raise InvalidSyntax(f"{where} must be an object.")
    method = item.get("method")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise InvalidValue(f"{where}.method must be one of {', '.join(METHODS)}.")
    method = method.upper()
    path = item.get("path")
    match = _PATH.fullmatch(path) if isinstance(path, str) else None
    if match is None:
        raise InvalidValue(f"{where}.path must be /Users, /Groups or a resource under them.")
    endpoint, resource_id = match.group(1), match.group(2)
    if (method == "POST") != (resource_id is None):
        wanted = "an endpoint (/Users or /Groups)" if method == "POST" else "a resource"
        raise InvalidValue(f"{where}: the path of a {method} must name {wanted}.")
    bulk_id = item.get("bulkId")
    if bulk_id is not None and (not isinstance(bulk_id, str) or not bulk_id):
        raise InvalidValue(f"{where}.bulkId must be a non-empty string.")
    if method == "POST" and bulk_id is None:
        raise InvalidValue(f"{where}: a POST needs a bulkId (RFC 7644 §3.7).")
    version = item.get("version")
    if version is not None and not isinstance(version, str):
        raise InvalidValue(f"{where}.version must be an entity tag string.")
    data = item.get("data")
    if method != "DELETE" and not isinstance(data, Mapping):
        raise InvalidSyntax(f"{where}.data must be an object for a {method}.")
    return BulkOperation(index, method, endpoint, resource_id, bulk_id, version, data)


def execution_order(operations: Sequence[BulkOperation]) -> tuple[list[BulkOperation], set[int]]:
    """The operations in the order to run them, and the indexes of those that cannot run
    because they are in, or wait on, a cycle of bulkId references.

    Request order is kept except where an operation names a bulkId that a later POST creates:
    that POST runs first (Kahn's algorithm, always taking the earliest operation that is ready).
    References to bulkIds that no POST of the request has are left for the run to report.
    """
    creator = {op.bulk_id: op.index for op in operations if op.method == "POST" and op.bulk_id}
    waits_on = {
        op.index: {creator[name] for name in op.references if name in creator} - {op.index}
        for op in operations
    }
    waited_by: dict[int, list[int]] = {op.index: [] for op in operations}
    for index, dependencies in waits_on.items():
        for dependency in dependencies:
            waited_by[dependency].append(index)
    pending = {index: len(dependencies) for index, dependencies in waits_on.items()}
    ready = [index for index, count in pending.items() if count == 0]
    heapq.heapify(ready)
    by_index = {op.index: op for op in operations}
    order: list[BulkOperation] = []
    while ready:
        index = heapq.heappop(ready)
        order.append(by_index[index])
        for follower in waited_by[index]:
            pending[follower] -= 1
            if pending[follower] == 0:
                heapq.heappush(ready, follower)
    placed = {op.index for op in order}
    return order, {op.index for op in operations} - placed


def resolve_references(value: Any, created: Mapping[str, str]) -> Any:
    """`value` with every "bulkId:<id>" string replaced by the id its POST created.

    Raises InvalidValue naming the first bulkId that `created` does not have (its POST failed, or
    no POST of the request has it).
    """
    if isinstance(value, str):
        match = _REFERENCE.fullmatch(value)
        if match is None:
            return value
        bulk_id = match.group(1)
        if bulk_id not in created:
            raise InvalidValue(
                f"bulkId {bulk_id!r} names no resource this request created "
                "(no POST has it, or its POST failed)."
            )
        return created[bulk_id]
    if isinstance(value, list):
        return [resolve_references(item, created) for item in value]
    if isinstance(value, Mapping):
        return {key: resolve_references(item, created) for key, item in value.items()}
    return value


def _references_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if match := _REFERENCE.fullmatch(value):
            yield match.group(1)
    elif isinstance(value, list):
        for item in value:
            yield from _references_in(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _references_in(item)
