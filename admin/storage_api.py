"""The File Storage page's JSON API, for the organisation's Administrators.

Sessions and CSRF are sign-in's (`sso.sessions.administrators_only`: the session cookie; on
PUT and POST the `X-CSRF-TOKEN` header carrying the `csrf_access_token` cookie's value); anyone
else is 403. Requests are validated by `admin.schemas` (400 naming the field).

    GET  /admin/api/storage                       where new files go, file counts, last migration
    PUT  /admin/api/storage   {"provider": "builtin"} | {"provider": "sharepoint",
                               "siteId": …, "libraryId": …}                → the same as GET
    GET  /admin/api/storage/sites?search=         SharePoint sites (words, or a site's address)
    GET  /admin/api/storage/libraries?site=ID     the site's libraries, with `itemCount`, `empty`
    POST /admin/api/storage/migration             move every file to where new files go → 202
    GET  /admin/api/storage/migration/<id>        a migration's progress and files' outcomes

Microsoft refusing the app (no `Sites.ReadWrite.All`, no `Sites.Selected` grant, no consent) is
409 with `consentRequired: true`; a migration under way is 409 with its `jobId`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from admin.json_api import Answer, answer_errors, error, load
from admin.schemas import (
    LibrariesQuerySchema,
    LibrarySchema,
    MigrationJobSchema,
    SiteSchema,
    SitesQuerySchema,
    StorageChoiceSchema,
    StorageSchema,
)
from files.migration import MigrationRunning, explain, latest_migration, start_migration
from files.storage_settings import choose_storage, find_sites, overview, site_libraries
from jobs import enqueue
from jobs.models import Job
from jobs.progress import get_job, job_items
from kinabase.errors import NotFound
from kinabase.organisations import FileStorageProvider, get_organisation
from kinabase_m365.database import db_session
from sso.sessions import administrators_only, current_user

blueprint = Blueprint("storage_api", __name__, url_prefix="/admin/api/storage")


@blueprint.get("")
@administrators_only
def storage() -> Response:
    """Where new files go, how many files each provider holds, and the latest migration."""
    return jsonify(storage_state())


@blueprint.put("")
@administrators_only
def update() -> Response:
    """Choose the provider (and SharePoint library) for new files; stored files stay put."""
    body = load(StorageChoiceSchema(), request.get_json(silent=True))
    session = db_session()
    choose_storage(
        session,
        current_user().org_id,
        FileStorageProvider(body["provider"]),
        site_id=body["site_id"],
        library_id=body["library_id"],
    )
    session.commit()
    return jsonify(storage_state())


@blueprint.get("/sites")
@administrators_only
def sites() -> Response:
    """SharePoint sites of the tenant matching the search (or the site at an address)."""
    query = load(SitesQuerySchema(), request.args)
    organisation = get_organisation(db_session(), current_user().org_id)
    found = find_sites(organisation, query["search"])
    return jsonify({"sites": SiteSchema(many=True).dump(found)})


@blueprint.get("/libraries")
@administrators_only
def libraries() -> Response:
    """The document libraries of a site."""
    query = load(LibrariesQuerySchema(), request.args)
    organisation = get_organisation(db_session(), current_user().org_id)
    found = site_libraries(organisation, query["site"])
    return jsonify({"libraries": LibrarySchema(many=True).dump(found)})


@blueprint.post("/migration")
@administrators_only
def migrate() -> Answer:
    """Queue the move of every file to where new files go."""
    session = db_session()
    job = start_migration(session, current_user().org_id)
    session.commit()
    enqueue(job.id)
    return jsonify(migration_state(get_job(session, job.org_id, job.id))), 202


@blueprint.get("/migration/<int:job_id>")
@administrators_only
def migration(job_id: int) -> Response:
    """A migration's status, progress and files' outcomes."""
    job = get_job(db_session(), current_user().org_id, job_id)
    if job.kind != "files.migrate":
        raise NotFound(f"no migration with id {job_id}")
    return jsonify(migration_state(job))


def storage_state() -> dict[str, Any]:
    """The answer of GET and PUT: the overview and the latest migration."""
    session = db_session()
    org_id = current_user().org_id
    latest = latest_migration(session, org_id)
    state = {
        **overview(session, org_id).__dict__,
        "migration": _job_fields(session, latest) if latest is not None else None,
    }
    dumped: dict[str, Any] = StorageSchema().dump(state)
    return dumped


def migration_state(job: Job) -> dict[str, Any]:
    """A migration as JSON."""
    dumped: dict[str, Any] = MigrationJobSchema().dump(_job_fields(db_session(), job))
    return dumped


def _job_fields(session: Any, job: Job) -> dict[str, Any]:
    return {
        **{name: getattr(job, name) for name in MigrationJobSchema().fields if name != "items"},
        "items": job_items(session, job.id),
    }


@blueprint.errorhandler(MigrationRunning)
def _running(refusal: MigrationRunning) -> Answer:
    return error(409, str(refusal), jobId=refusal.job_id)


answer_errors(blueprint, explain)
