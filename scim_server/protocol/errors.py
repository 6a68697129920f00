"""SCIM error responses (RFC 7644 §3.12).

Every client error the protocol layer detects is raised as a `ScimError` subclass; the HTTP layer
renders it in one place with `to_body()` and answers with `status`. A bug in the server is never a
`ScimError`: it surfaces as an ordinary exception and becomes a 500.

The classes with a `scim_type` are the "scimType" keywords of RFC 7644 §3.12, Table 9; the others
are the plain HTTP statuses of RFC 7644 §3.12, Table 8, that a SCIM service provider returns.
"""

from __future__ import annotations

from typing import Any, ClassVar

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    """An error of the client, sent as a SCIM Error message (RFC 7644 §3.12)."""

    status: ClassVar[int] = 400
    scim_type: ClassVar[str | None] = None
    default_detail: ClassVar[str] = "The request is not valid."

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)

    def to_body(self) -> dict[str, Any]:
        """The Error message; `status` is a string, as RFC 7644 §3.12 and Entra require."""
        body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status)}
        if self.scim_type is not None:
            body["scimType"] = self.scim_type
        body["detail"] = self.detail
        return body


class InvalidFilter(ScimError):
    """The filter syntax is invalid or the filter is not supported (RFC 7644 §3.4.2.2)."""

    scim_type = "invalidFilter"
    default_detail = "The specified filter syntax was invalid or is not supported."


class TooMany(ScimError):
    """The query would return more results than the service provider allows (§3.4.2.2)."""

    scim_type = "tooMany"
    default_detail = "The query would return too many results."


class Uniqueness(ScimError):
    """A value that must be unique is already taken (RFC 7644 §3.3, §3.12)."""

    status = 409
    scim_type = "uniqueness"
    default_detail = "One or more of the attribute values are already in use or are reserved."


class Mutability(ScimError):
    """The request tries to change a readOnly or immutable attribute (RFC 7643 §2.2)."""

    scim_type = "mutability"
    default_detail = "The attempted modification is not compatible with the attribute's mutability."


class InvalidSyntax(ScimError):
    """The request body is not a valid SCIM message (RFC 7644 §3.12)."""

    scim_type = "invalidSyntax"
    default_detail = "The request body message structure was invalid."


class InvalidPath(ScimError):
    """The PATCH "path" is invalid or malformed (RFC 7644 §3.5.2)."""

    scim_type = "invalidPath"
    default_detail = "The path attribute was invalid or malformed."


class NoTarget(ScimError):
    """The PATCH path did not yield an attribute or value to operate on (RFC 7644 §3.5.2)."""

    scim_type = "noTarget"
    default_detail = "The specified path did not yield an attribute or value to operate on."


class InvalidValue(ScimError):
    """A value is missing, of the wrong type, or not compatible with the schema (§3.12)."""

    scim_type = "invalidValue"
    default_detail = "A required value was missing, or the value specified was not compatible."


class InvalidCursor(ScimError):
    """The cursor is not one this service issued for this query (RFC 9865 §2.2).

    Forged, altered, another organisation's or another query's cursors all get this one
    answer, worded alike, so that a refusal tells nothing about what exists.
    """

    scim_type = "invalidCursor"
    default_detail = (
        "The cursor is not valid for this query: send an empty cursor for the first page, then "
        "the nextCursor or previousCursor of a previous answer with the same parameters."
    )


class ExpiredCursor(ScimError):
    """The cursor was issued longer ago than `pagination.cursorTimeout` (RFC 9865 §2.2)."""

    scim_type = "expiredCursor"
    default_detail = "The cursor has expired: start again with an empty cursor."


class InvalidCount(ScimError):
    """`count` is not a positive integer in a cursor-paged query (RFC 9865 §2.2)."""

    scim_type = "invalidCount"
    default_detail = "count must be a positive integer when paging with a cursor."


class InvalidVersion(ScimError):
    """The requested SCIM protocol version is not supported (RFC 7644 §3.13)."""

    scim_type = "invalidVers"
    default_detail = "The specified SCIM protocol version is not supported."


class Sensitive(ScimError):
    """Sensitive information was passed in the request URI (RFC 7644 §7.5.2)."""

    status = 403
    scim_type = "sensitive"
    default_detail = "The request cannot be completed: it passes sensitive information in the URI."


class NotModified(ScimError):
    """The resource matches If-None-Match on a read (RFC 7644 §3.14); the answer has no body."""

    status = 304
    default_detail = "The resource has not been modified."


class Unauthorized(ScimError):
    """Authentication is missing or invalid (RFC 7644 §2)."""

    status = 401
    default_detail = "Authorization failure: the bearer token is missing, unknown or revoked."


class Forbidden(ScimError):
    """The client may not perform this operation (RFC 7644 §3.12)."""

    status = 403
    default_detail = "The operation is not permitted."


class NotFound(ScimError):
    """The resource or endpoint does not exist (RFC 7644 §3.12)."""

    status = 404
    default_detail = "The specified resource was not found."


class MethodNotAllowed(ScimError):
    """The HTTP method is not supported on this endpoint (RFC 7644 §3.12)."""

    status = 405
    default_detail = "The HTTP method is not supported on this endpoint."


class Conflict(ScimError):
    """The request conflicts with the current state of the resource (RFC 7644 §3.12)."""

    status = 409
    default_detail = "The request conflicts with the current state of the resource."


class PreconditionFailed(ScimError):
    """If-Match (or If-None-Match on a write) did not hold (RFC 7644 §3.14)."""

    status = 412
    default_detail = "The resource has changed: the entity tag does not match."


class PayloadTooLarge(ScimError):
    """The request body exceeds what the service provider accepts (RFC 7644 §3.12)."""

    status = 413
    default_detail = "The request body is too large."


class UriTooLong(ScimError):
    """The request's URL is longer than the service provider reads (RFC 9110 §15.5.15)."""

    status = 414
    default_detail = "The request URL is too long; send a long query as POST .search."


class ServiceUnavailable(ScimError):
    """The service cannot answer now (its database is unreachable); try again later
    (RFC 9110 §15.6.4, with Retry-After)."""

    status = 503
    default_detail = "The service is temporarily unavailable; try again later."


class OperationNotImplemented(ScimError):
    """The service provider does not implement the requested operation (RFC 7644 §3.12)."""

    status = 501
    default_detail = "The requested operation is not implemented."
