"""Recording each SCIM write in the provisioning activity (`kinabase.provisioning_activity`).

Two halves, both here:

* A handler that wrote something calls `record` (or `record_bulk`, one entry per operation)
  with the effect the provisioning service reported. The entry is inserted in the request's
  transaction — one INSERT more — so it is committed with the write (`routes.committed`), or
  vanishes with it when anything later fails or the write is run again after a conflict.
* `recorded` wraps every write route, outermost. It collects the client leniencies the protocol
  layer applies while the request runs (`protocol.leniencies`), and when the write raises, it
  closes the request's session (rolling everything back) and records the refusal in a short
  transaction of its own, then lets the error go on to the error handlers.

Not recorded: reads (GET, and POST to `.search`); requests refused before the route runs,
which have no organisation yet (a missing or wrong token, a body or URL over the limits) or are
refused to spare the database (429 rate limits, counted in /metrics); and refusals while the
database is unreachable (503), which could not be written either.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable

from flask import Response, g, request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from kinabase.database import is_unavailable
from kinabase.provisioning_activity import ActivityEntry, Outcome, record_activity
from kinabase_m365.database import db_session, discard_session, get_database, write_committed
from kinabase_m365.request_log import current_request_id
from scim_server.protocol.errors import ScimError
from scim_server.protocol.leniencies import Leniency, codes, noting
from scim_server.provisioning.activity import (
    Effect,
    Refusal,
    name_in_body,
    refusal_of,
    stored_name,
)
from scim_server.provisioning.bulk import BulkResult
from scim_server.resources.auth import current_credential, current_org_id
from scim_server.resources.http import request_json

log = logging.getLogger(__name__)

View = Callable[..., Response]
BULK = "Bulk"


def recorded(resource_type: str) -> Callable[[View], View]:
    """Wrap a write route for the activity; `resource_type` is "User", "Group" or "Bulk"."""

    def wrap(view: View) -> View:
        @functools.wraps(view)
        def run(*args: object, **kwargs: object) -> Response:
            with noting() as applied:
                g.scim_leniencies = applied
                try:
                    return view(*args, **kwargs)
                except Exception as error:
                    _record_refusal(error, resource_type, kwargs, applied)
                    raise

        return run

    return wrap


def record(effect: Effect | None) -> None:
    """Insert the entry for what this request wrote in its transaction (nothing for no change)."""
    if effect is not None:
        leniencies: set[Leniency] = g.get("scim_leniencies") or set()
        entry = _entry(effect, request.method, leniencies)
        record_activity(db_session(), current_org_id(), [entry])


def record_bulk(results: Iterable[BulkResult]) -> None:
    """Insert one entry per operation of a /Bulk request that changed something or failed."""
    entries = [
        _entry(result.effect, result.operation.method, result.leniencies, bulk=True)
        for result in results
        if result.effect is not None
    ]
    if entries:
        record_activity(db_session(), current_org_id(), entries)


def _entry(
    effect: Effect, method: str, leniencies: Iterable[Leniency], *, bulk: bool = False
) -> ActivityEntry:
    return ActivityEntry(
        credential=_credential(),
        method=method,
        resource_type=effect.resource_type,
        resource_id=effect.resource_id,
        name=effect.name,
        outcome=effect.outcome,
        status=effect.status,
        reason=effect.reason,
        detail=effect.detail,
        leniencies=codes(set(leniencies)),
        bulk=bulk,
        request_id=current_request_id(),
    )


def _credential() -> str:
    credential = current_credential()
    return credential.described if credential is not None else ""


def _record_refusal(
    error: Exception, resource_type: str, view_args: dict[str, object], applied: set[Leniency]
) -> None:
    """Record why a write changed nothing, after rolling it back (never raises)."""
    if isinstance(error, SQLAlchemyError) and is_unavailable(error):
        return  # the entry could not be written either
    if write_committed():
        return  # the write and its entry were committed; only rendering the answer failed
    credential = current_credential()
    if credential is None:
        return
    discard_session()  # the write's transaction ends here (on SQLite, its write lock too)
    refusal = _refusal(error)
    resource_id = view_args.get("user_id") or view_args.get("group_id")
    try:
        with get_database().write_sessions() as session:
            name = _name(session, credential.org_id, resource_type, resource_id)
            entry = ActivityEntry(
                credential=credential.described,
                method=request.method,
                resource_type=resource_type,
                resource_id=str(resource_id) if resource_id is not None else None,
                name=name,
                outcome=refusal.outcome,
                status=refusal.status,
                reason=refusal.reason,
                detail=refusal.detail,
                leniencies=codes(applied),
                request_id=current_request_id(),
            )
            record_activity(session, credential.org_id, [entry])
            session.commit()
    except SQLAlchemyError:
        log.exception("could not record the refused %s %s", request.method, request.path)


def _refusal(error: Exception) -> Refusal:
    if isinstance(error, HTTPException):  # raised on purpose (werkzeug's 413, …)
        status = error.code or 500
        outcome = Outcome.FAILED if status >= 500 else Outcome.REFUSED
        return Refusal(outcome, status, None, error.description or error.name)
    return refusal_of(error)


def _name(session: Session, org_id: int, resource_type: str, resource_id: object) -> str | None:
    """The refused resource's userName or displayName: from the body, else as stored."""
    if resource_type == BULK:
        return None
    name = None
    if request.method in ("POST", "PUT"):
        try:
            name = name_in_body(request_json(), resource_type)
        except ScimError:
            name = None
    if name is None and isinstance(resource_id, str):
        name = stored_name(session, org_id, resource_type, resource_id)
    return name
