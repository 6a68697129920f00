"""Organisation → Identity & Provisioning → Provisioning activity: what the directory sent.

Administrators see their organisation's entries of `kinabase.provisioning_activity`, newest
first, 50 a page: when, what (method, resource type, userName or displayName), the outcome with
its HTTP status, why (for a refused or pending user, what an Administrator can do about it), the
Entra leniencies the request needed, and which token or OAuth client sent it. They filter by
outcome and resource type, and export what the filter selects as CSV, streamed from the
database a batch at a time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request, url_for
from marshmallow import Schema, fields, validate

from console.forms import Form, read_form
from console.guards import administrators_only
from console.pages import render_page
from kinabase.provisioning_activity import (
    EXPORTED_FIELDS,
    ActivityFilter,
    Outcome,
    ProvisioningActivity,
    Reason,
    exported,
    iter_activity,
    list_activity,
)
from kinabase_m365.database import db_session, get_database
from kinabase_m365.runtime import current_settings
from scim_server.protocol.leniencies import Leniency
from sso.sessions import current_user

blueprint = Blueprint("console_activity", __name__)
PAGE_SIZE = 50
OUTCOMES = [("", "Any outcome")] + [(o.value, o.value.capitalize()) for o in Outcome]
RESOURCE_TYPES = [("", "Any resource"), ("User", "Users"), ("Group", "Groups"), ("Bulk", "Bulk")]
# What an Administrator can do about a refused or pending user.
ADVICE = {
    Reason.NO_SEAT: (
        "No licence seat is left. Add seats to the organisation's licence or deactivate a user; "
        "Entra sends the user again in its next cycle."
    ),
    Reason.EMAIL_IN_USE: (
        "Another Kinabase user of the organisation has this email address. Change one of the "
        "two addresses (in Entra, or the other user's), then let Entra send the user again."
    ),
    Reason.NO_EMAIL: (
        "Entra sent no email address, so the user has no Kinabase account and holds no seat "
        "yet. Map an email (mail, or a userPrincipalName that is an address) in Entra's "
        "attribute mappings; the next change makes them a Kinabase user."
    ),
}
# Characters that make a spreadsheet read a cell as a formula (CSV injection): such values from
# the directory are written with a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ActivityQuerySchema(Schema):
    """The page's filter (a GET form): outcome, resource type and page number."""

    outcome = fields.String(
        load_default="", validate=validate.OneOf([value for value, _ in OUTCOMES])
    )
    type = fields.String(
        load_default="", validate=validate.OneOf([value for value, _ in RESOURCE_TYPES])
    )
    page = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=100_000, error="Pages start at 1.")
    )


def _shown(data: dict[str, Any]) -> ActivityFilter:
    return ActivityFilter(
        Outcome(data["outcome"]) if data["outcome"] else None, data["type"] or None
    )


@blueprint.get("/admin/provisioning-activity")
@administrators_only
def activity_page() -> tuple[str, int]:
    """A page of the organisation's provisioning activity, as the filter selects."""
    form = read_form(ActivityQuerySchema(), request.args)
    if form.data is None:
        return _render(form, [], page=1, more=False, status=400)
    page = form.data["page"]
    rows = list_activity(
        db_session(),
        current_user().org_id,
        _shown(form.data),
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE + 1,
    )
    return _render(form, rows[:PAGE_SIZE], page=page, more=len(rows) > PAGE_SIZE)


def _render(
    form: Form, rows: list[ProvisioningActivity], *, page: int, more: bool, status: int = 200
) -> tuple[str, int]:
    chosen = form.data or {"outcome": "", "type": ""}
    filters = {"outcome": chosen["outcome"], "type": chosen["type"]}
    kept = {name: value for name, value in filters.items() if value}
    return render_page(
        "console/activity.html",
        status,
        query=form,
        entries=[_entry(row) for row in rows],
        outcomes=OUTCOMES,
        resource_types=RESOURCE_TYPES,
        page=page,
        newer=url_for(".activity_page", **kept, page=page - 1) if page > 1 else None,
        older=url_for(".activity_page", **kept, page=page + 1) if more else None,
        export=url_for(".export_activity", **kept),
        retention_days=current_settings().provisioning_activity_retention_days,
    )


def _entry(row: ProvisioningActivity) -> dict[str, Any]:
    """One row of the table: the entry, its time in words, the advice and the leniencies."""
    return {
        "row": row,
        "when": _when(row.at),
        "advice": ADVICE.get(Reason(row.reason)) if row.reason in REASONS else None,
        "leniencies": [_leniency(code) for code in row.leniencies.split(",") if code],
    }


REASONS = frozenset(reason.value for reason in Reason)


def _leniency(code: str) -> dict[str, str]:
    try:
        described = Leniency(code).description
    except ValueError:  # recorded by another version of the service
        described = code
    return {"code": code, "description": described}


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


@blueprint.get("/admin/provisioning-activity.csv")
@administrators_only
def export_activity() -> Response | tuple[str, int]:
    """What the filter selects, as CSV (newest first), streamed."""
    form = read_form(ActivityQuerySchema(), request.args)
    if form.data is None:
        return _render(form, [], page=1, more=False, status=400)
    org_id, shown = current_user().org_id, _shown(form.data)
    read_sessions = get_database().read_sessions
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORTED_FIELDS)
        # The stream outlives the request's session: it reads in a session of its own.
        with read_sessions() as session:
            for count, row in enumerate(iter_activity(session, org_id, shown), start=1):
                writer.writerow([_cell(value) for value in exported(row).values()])
                if count % 200 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return Response(
        rows(),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="provisioning-activity-{stamp}.csv"'
        },
    )


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
