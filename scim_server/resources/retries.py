"""Running a write again when PostgreSQL aborted it for a conflict with a concurrent write.

Entra sends its requests in parallel; PostgreSQL may break a deadlock between two of them by
aborting one (SQLSTATE 40P01), or refuse a serialization (40001). Neither is the client's fault
nor a bug: the aborted transaction wrote nothing, so the handler runs again on a fresh session, a
few times, before the error is let through as a 500. The request is authenticated again on that
session first, so that what authentication wrote (the token's last use) is not lost with the
aborted transaction.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from flask import Response
from sqlalchemy.exc import DBAPIError

from kinabase_m365.database import discard_session
from scim_server.resources.auth import authenticate_again

ATTEMPTS = 3
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure

log = logging.getLogger(__name__)


def _sqlstate(error: DBAPIError) -> str | None:
    state = getattr(error.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def retry_on_conflict(view: Callable[..., Response]) -> Callable[..., Response]:
    """Run `view` again (up to ATTEMPTS times) when the database aborted it for a conflict."""

    @functools.wraps(view)
    def run(*args: object, **kwargs: object) -> Response:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                if attempt > 1:
                    authenticate_again()
                return view(*args, **kwargs)
            except DBAPIError as error:
                if attempt == ATTEMPTS or _sqlstate(error) not in RETRYABLE_SQLSTATES:
                    raise
                log.warning(
                    "write aborted by a concurrent one (%s); trying again", _sqlstate(error)
                )
                discard_session()
        raise AssertionError("unreachable")  # pragma: no cover

    return run
