"""The add-in API for the Outlook task pane (docs/outlook.md is its contract).

    GET  /outlook/api/config                          what MSAL.js needs (no token)
    GET  /outlook/api/me                              the caller, their organisation, collections
    POST /outlook/api/lookup                          the open email's addresses → matches
    POST /outlook/api/contacts                        add a contact (duplicate check)
    POST /outlook/api/organisations                   add an organisation (domain rules)
    POST /outlook/api/emails                          log the email on records (idempotent)
    POST /outlook/api/activities/{id}/attachments     save an attachment as a file (streamed)
    GET  /outlook/api/records/{id}/activities         recent activities of a record

Every answer is JSON; every refusal is `{"message": …}` (plus `fields` for bad input, or
`duplicate` for a duplicate), which the pane shows as is. Each write commits once, after the
whole request succeeded.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote

from flask import Blueprint, Flask, Response, jsonify, request
from marshmallow import Schema, ValidationError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, InternalServerError

from files.service import FileInfo
from graph.errors import MicrosoftError, MicrosoftUnavailable
from kinabase.activities import (
    EmailMessage,
    recent_activities,
    recent_activities_by_record,
    records_with_message,
)
from kinabase.collections import Collection, Record
from kinabase.contacts import (
    create_contact,
    create_organisation_record,
    designated_collections,
)
from kinabase.errors import (
    DomainError,
    DuplicateRecord,
    FileTooLarge,
    IncompleteUpload,
    InvalidName,
    NotDesignated,
    NotFound,
    StorageFailed,
)
from kinabase.files import get_record
from kinabase.organisations import get_organisation
from kinabase.permissions import can_edit, can_view
from kinabase.users import User
from kinabase_m365.database import db_session, discard_session, get_database
from kinabase_m365.runtime import current_settings
from outlook import emails
from outlook.auth import bearer_required, caller
from outlook.errors import (
    AccessDenied,
    Conflict,
    LengthRequired,
    MicrosoftUnreachable,
    NotFoundHere,
    OutlookError,
)
from outlook.matching import OWN, Address, domain_kinds, match_addresses
from outlook.render import Renderer
from outlook.schemas import (
    ActivitiesQuerySchema,
    ContactSchema,
    LogEmailSchema,
    LookupSchema,
    OrganisationSchema,
)
from outlook.tokens import SCOPE, audiences

blueprint = Blueprint("outlook_api", __name__, url_prefix="/outlook/api")
log = logging.getLogger(__name__)
RECENT_PER_ADDRESS = 5


def init_app(app: Flask) -> None:
    """Register the add-in API on the app."""
    app.register_blueprint(blueprint)


@blueprint.get("/config")
def config() -> Response:
    """The client id, scope and authority the task pane's MSAL.js asks Entra with."""
    settings = current_settings()
    if not settings.microsoft_client_id:
        raise MicrosoftUnreachable("Sign in with Microsoft is not configured on this service.")
    resource = audiences(settings.microsoft_client_id, settings.outlook_api_identifier_uri)[0]
    return jsonify(
        clientId=settings.microsoft_client_id,
        scope=f"{resource}/{SCOPE}",
        authority=f"{settings.microsoft_authority_host.rstrip('/')}/organizations",
    )


@blueprint.get("/me")
@bearer_required
def me() -> Response:
    """The caller, their organisation, and the collections the add-in writes to."""
    session, user = db_session(), caller().user
    designated = designated_collections(session, user.org_id)

    def collection(found: Collection | None) -> dict[str, Any] | None:
        if found is None:
            return None
        return {
            "id": found.id,
            "name": found.name,
            "canView": can_view(session, user, found.id),
            "canEdit": can_edit(session, user, found.id),
        }

    organisation = get_organisation(session, user.org_id)
    return jsonify(
        user={"id": user.id, "name": user.name, "email": user.email},
        organisation={"id": organisation.id, "name": organisation.name},
        collections={
            "contacts": collection(designated.contacts),
            "organisations": collection(designated.organisations),
        },
    )


@blueprint.post("/lookup")
@bearer_required
def lookup() -> Response:
    """What Kinabase has for each address of the open email."""
    body = _load(LookupSchema())
    session, user = db_session(), caller().user
    designated = designated_collections(session, user.org_id)
    collections = [c for c in (designated.contacts, designated.organisations) if c is not None]
    if collections and not any(can_view(session, user, c.id) for c in collections):
        raise AccessDenied(
            "You cannot see contacts or organisations: ask an Administrator for access."
        )
    addresses = [Address(a["email"], a["name"], a["role"]) for a in body["addresses"]]
    matches = match_addresses(session, user, addresses)
    renderer = Renderer(session, user.org_id)
    # Everything the answer shows is read a batch at a time: the records, then the recent
    # activities of all of them, then those activities' authors and files.
    renderer.records([record for match in matches for record in match.records])
    recent = recent_activities_by_record(
        session,
        user.org_id,
        (record.id for match in matches for record in match.records),
        RECENT_PER_ADDRESS,
    )
    newest = {
        match.address.email: sorted(
            (activity for record in match.records for activity in recent.get(record.id, [])),
            key=lambda activity: (activity.timestamp, activity.id),
            reverse=True,
        )[:RECENT_PER_ADDRESS]
        for match in matches
    }
    renderer.activities([activity for found in newest.values() for activity in found])
    answer = []
    for match in matches:
        known = match.colleague is not None or bool(match.contacts)
        organisation = match.organisation
        answer.append(
            {
                "email": match.address.email,
                "name": match.address.name,
                "role": match.address.role,
                "domain": match.domain,
                "domainKind": match.domain_kind,
                "colleague": renderer.record(match.colleague) if match.colleague else None,
                "contacts": renderer.records(match.contacts),
                "organisation": renderer.record(organisation) if organisation else None,
                "suggestedContact": None
                if known
                else {
                    "name": match.address.name or match.address.email.partition("@")[0],
                    "email": match.address.email,
                    "organisationId": organisation.id if organisation else None,
                },
                "activities": renderer.activities(newest[match.address.email]),
            }
        )
    message_id = body["internet_message_id"]
    logged = records_with_message(session, user.org_id, message_id) if message_id else []
    return jsonify(addresses=answer, logged={"recordIds": logged})


@blueprint.post("/contacts")
@bearer_required
def add_contact() -> tuple[Response, int]:
    """Add a contact, optionally linked to an organisation."""
    body = _load(ContactSchema())
    session, user = db_session(), caller().user
    _require_edit(session, designated_collections(session, user.org_id).contacts, "contacts")
    record = create_contact(
        session,
        user.org_id,
        name=body["name"],
        email=body["email"],
        organisation_id=body["organisation_id"],
    )
    answer = Renderer(session, user.org_id).record(record)
    session.commit()
    return jsonify(answer), 201


@blueprint.post("/organisations")
@bearer_required
def add_organisation() -> tuple[Response, int]:
    """Add an organisation; free-mail and the organisation's own domains are refused."""
    body = _load(OrganisationSchema())
    session, user = db_session(), caller().user
    designated = designated_collections(session, user.org_id)
    _require_edit(session, designated.organisations, "organisations")
    domain = body["domain"]
    if domain is not None:
        kind = domain_kinds(session, user.org_id, {domain})[domain]
        if kind != "organisation":
            what = "your own organisation's" if kind == OWN else "a free email provider's"
            raise ValidationError(
                {"domain": [f"{domain} is {what} domain; it cannot identify an organisation."]}
            )
    record = create_organisation_record(session, user.org_id, name=body["name"], domain=domain)
    answer = Renderer(session, user.org_id).record(record)
    session.commit()
    return jsonify(answer), 201


@blueprint.post("/emails")
@bearer_required
def log_email() -> tuple[Response, int]:
    """Log the email on the chosen records (by default the matched contacts), once per record."""
    body = _load(LogEmailSchema())
    session, user = db_session(), caller().user
    sender, recipients = body["sender"], body["recipients"]
    addresses = [Address(sender["email"], sender["name"], "from")] + [
        Address(r["email"], r["name"], r["kind"]) for r in recipients
    ]
    records = emails.records_to_log_on(session, user, body["record_ids"], addresses)
    message = EmailMessage(
        internet_message_id=body["internet_message_id"],
        subject=body["subject"],
        sender_email=sender["email"],
        sender_name=sender["name"],
        recipients=[
            {"email": r["email"], "name": r["name"], "kind": r["kind"]} for r in recipients
        ],
        timestamp=body["timestamp"],
        content=body["content"],
    )
    logged = emails.log_email_on(session, user, message, records)
    answer = {
        "activities": Renderer(session, user.org_id).activities(logged.activities),
        "created": logged.created,
        "existing": logged.existing,
    }
    session.commit()
    return jsonify(answer), 201 if logged.created else 200


@blueprint.post("/activities/<int:activity_id>/attachments")
@bearer_required
def save_attachment(activity_id: int) -> tuple[Response, int]:
    """Stream the body to the storage provider as a file of the activity's record."""
    current = caller()
    org_id, user_id = current.org_id, current.user.id
    name = unquote(request.headers.get("X-File-Name", ""))
    discard_session()  # no transaction stays open while bytes move
    database = get_database()
    existing = emails.existing_attachment(database, org_id, user_id, activity_id, name)
    if existing is not None:
        return jsonify(_file_info(existing)), 200
    size = request.content_length
    if size is None:
        raise LengthRequired("An attachment needs a Content-Length.")
    info = emails.save_attachment(
        database,
        org_id,
        user_id,
        activity_id,
        stream=request.stream,
        size=size,
        name=name,
        content_type=request.mimetype or None,
    )
    return jsonify(_file_info(info)), 201


@blueprint.get("/records/<int:record_id>/activities")
@bearer_required
def activities(record_id: int) -> Response:
    """The record's recent activities, newest first."""
    query = _load(ActivitiesQuerySchema(), request.args)
    session, user = db_session(), caller().user
    record = _visible_record(session, user, record_id)
    found = recent_activities(session, user.org_id, [record.id], query["limit"])
    return jsonify(activities=Renderer(session, user.org_id).activities(found))


def _visible_record(session: Session, user: User, record_id: int) -> Record:
    try:
        record = get_record(session, user.org_id, record_id)
    except NotFound:
        raise NotFoundHere(f"There is no record {record_id}.") from None
    if not can_view(session, user, record.collection_id):
        raise AccessDenied("You cannot see records of this collection.")
    return record


def _file_info(info: FileInfo) -> dict[str, Any]:
    return {"id": info.id, "name": info.name, "size": info.size, "contentType": info.content_type}


def _require_edit(session: Session, collection: Collection | None, what: str) -> None:
    if collection is None:
        raise Conflict(
            f"No collection holds {what} yet: an Administrator designates one "
            f"(kinabase-m365 outlook set).",
            setupRequired=True,
        )
    if not can_edit(session, caller().user, collection.id):
        raise AccessDenied(f"You cannot add {what}: ask an Administrator for edit access.")


def _load(schema: Schema, data: Any = None) -> dict[str, Any]:
    if data is None:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise OutlookError("The request's body must be a JSON object.")
    loaded: dict[str, Any] = schema.load(data)
    return loaded


def _answer(status: int, message: str, **extra: Any) -> tuple[Response, int]:
    response = jsonify({"message": message, **extra})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response, status


@blueprint.errorhandler(OutlookError)
def _refused(error: OutlookError) -> tuple[Response, int]:
    return _answer(error.status, error.message, **error.extra)


@blueprint.errorhandler(ValidationError)
def _invalid(error: ValidationError) -> tuple[Response, int]:
    return _answer(400, "Some fields are not valid.", fields=error.messages)


@blueprint.errorhandler(DomainError)
def _domain(error: DomainError) -> tuple[Response, int]:
    message = str(error)
    if isinstance(error, DuplicateRecord):
        session = db_session()
        record = session.get(Record, error.record_id)
        duplicate = Renderer(session, caller().org_id).record(record) if record else None
        return _answer(409, message, duplicate=duplicate)
    if isinstance(error, NotDesignated):
        return _answer(409, message[:1].upper() + message[1:] + ".", setupRequired=True)
    status = {NotFound: 404, FileTooLarge: 413, StorageFailed: 502}.get(type(error), 400)
    if isinstance(error, InvalidName | IncompleteUpload):
        status = 400
    return _answer(status, message[:1].upper() + message[1:])


@blueprint.errorhandler(MicrosoftError)
def _microsoft(error: MicrosoftError) -> tuple[Response, int]:
    status = 503 if isinstance(error, MicrosoftUnavailable) else 502
    return _answer(status, "Microsoft 365 could not be reached. Try again later.")


@blueprint.errorhandler(HTTPException)
def _http(error: HTTPException) -> tuple[Response, int]:
    return _answer(error.code or 500, error.description or "The request failed.")


@blueprint.errorhandler(InternalServerError)
def _bug(error: InternalServerError) -> tuple[Response, int]:
    log.error("the Outlook API failed", exc_info=error.original_exception)
    return _answer(500, "Something went wrong in Kinabase. Try again, or tell your Administrator.")
