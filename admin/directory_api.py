"""The Sync now dialog's JSON API, for the organisation's Administrators.

Sessions and CSRF are sign-in's (`sso.sessions.administrators_only`: the session cookie; on
POST the `X-CSRF-TOKEN` header carrying the `csrf_access_token` cookie's value); anyone else is
403. Requests are validated by `admin.schemas` (400 naming the field), answers shaped by it.

    GET  /admin/api/directory/candidates?search=&group=&offset=&limit=
    GET  /admin/api/directory/groups?search=
    GET  /admin/api/directory/choices    user types, the organisation's roles, seats left
    POST /admin/api/directory/import   {"users": [{"user", "userType", "roles"}]} | {"all": true}
                                       | {"group": "…"}, with "userType" and "roles"  → 202 job
    POST /admin/api/directory/sync                                                    → 202 job
    GET  /admin/api/directory/jobs/<id>
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from admin.json_api import Answer, answer_errors, error, load
from admin.schemas import (
    USER_TYPE_LABELS,
    CandidatePageSchema,
    CandidatesQuerySchema,
    GraphGroupSchema,
    GroupsQuerySchema,
    ImportChoicesSchema,
    ImportRequestSchema,
    JobSchema,
)
from directory.errors import SeatShortfall
from directory.jobs import explain, start_import, start_sync
from directory.listing import candidate_page, security_groups
from directory.operations import Choice, tenant_of
from jobs import enqueue
from jobs.progress import get_job, job_items
from kinabase.licences import seats_in_use
from kinabase.organisations import get_organisation
from kinabase.roles import list_roles
from kinabase.users import UserType
from kinabase_m365.database import db_session
from sso.sessions import administrators_only, current_user

blueprint = Blueprint("directory_api", __name__, url_prefix="/admin/api/directory")


@blueprint.get("/candidates")
@administrators_only
def candidates() -> Response:
    """Directory users not yet in Kinabase, a page at a time."""
    query = load(CandidatesQuerySchema(), request.args)
    session = db_session()
    org_id = current_user().org_id
    page = candidate_page(session, org_id, tenant_of(session, org_id), **query)
    return jsonify(CandidatePageSchema().dump(page))


@blueprint.get("/groups")
@administrators_only
def groups() -> Response:
    """The directory's security groups (for the dialog's filter)."""
    query = load(GroupsQuerySchema(), request.args)
    tenant = tenant_of(db_session(), current_user().org_id)
    found = security_groups(tenant, query["search"])
    return jsonify({"groups": GraphGroupSchema(many=True).dump(found)})


@blueprint.get("/choices")
@administrators_only
def choices() -> Response:
    """What the dialog offers each imported user (user types, roles) and the seats left; needs
    no Microsoft, so the dialog can show it before the directory answers."""
    session = db_session()
    org_id = current_user().org_id
    total, in_use = get_organisation(session, org_id).licence_seats, seats_in_use(session, org_id)
    shown = {
        "user_types": [
            {"value": user_type.value, "label": label}
            for user_type, label in USER_TYPE_LABELS.items()
        ],
        "roles": list_roles(session, org_id),
        "seats": {"total": total, "in_use": in_use, "left": max(total - in_use, 0)},
    }
    return jsonify(ImportChoicesSchema().dump(shown))


@blueprint.post("/import")
@administrators_only
def import_users() -> Answer:
    """Queue an import; a seat shortfall visible already is refused (409) with the number of
    seats missing."""
    body = load(ImportRequestSchema(), request.get_json(silent=True))
    session = db_session()
    job = start_import(
        session,
        current_user().org_id,
        users=[(entry["user"], _choice(entry)) for entry in body["users"]],
        everyone=body["all"],
        group=body["group"],
        default=_choice(body),
    )
    session.commit()
    enqueue(job.id)
    return _job(job.id, status=202)


@blueprint.post("/sync")
@administrators_only
def sync() -> Answer:
    """Queue a sync of the users Kinabase has."""
    session = db_session()
    job = start_sync(session, current_user().org_id)
    session.commit()
    enqueue(job.id)
    return _job(job.id, status=202)


@blueprint.get("/jobs/<int:job_id>")
@administrators_only
def job_status(job_id: int) -> Answer:
    """A job's status, progress and per-user outcomes."""
    return _job(job_id)


def _job(job_id: int, status: int = 200) -> Answer:
    session = db_session()
    job = get_job(session, current_user().org_id, job_id)
    shown: dict[str, Any] = {
        **{name: getattr(job, name) for name in JobSchema().fields if name != "items"},
        "items": job_items(session, job.id),
    }
    return jsonify(JobSchema().dump(shown)), status


def _choice(values: dict[str, Any]) -> Choice:
    user_type = values.get("user_type")
    return Choice(UserType(user_type) if user_type else None, tuple(values.get("roles") or ()))


@blueprint.errorhandler(SeatShortfall)
def _seats(refusal: SeatShortfall) -> Answer:
    return error(409, str(refusal), seatsMissing=refusal.missing)


answer_errors(blueprint, explain)
