"""The add-in API's refusals: each has the HTTP status and a message the task pane shows as is."""

from __future__ import annotations

from typing import Any, ClassVar


class OutlookError(Exception):
    """A refusal of the add-in API, answered as JSON `{"message": …}` plus `extra`."""

    status: ClassVar[int] = 400

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class TokenRefused(OutlookError):
    """No bearer token, or one that fails a check (RFC 6750 §3.1 `invalid_token`)."""

    status = 401


class AccessDenied(OutlookError):
    """The caller is known but may not do this (tenant not connected, user deactivated, no
    access to the collection)."""

    status = 403


class NotFoundHere(OutlookError):
    """Nothing of this id in the caller's organisation (another organisation's included)."""

    status = 404


class Conflict(OutlookError):
    """A duplicate, or a setting an Administrator must make first."""

    status = 409


class NothingToLogOn(OutlookError):
    """Logging an email without chosen records, when no contact matches its addresses."""

    status = 422


class LengthRequired(OutlookError):
    """An attachment upload without Content-Length: its size must be known before it is stored."""

    status = 411


class MicrosoftUnreachable(OutlookError):
    """Microsoft (its signing keys) or the storage provider cannot be reached now."""

    status = 503
