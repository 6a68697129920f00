"""The files API for signed-in users (session cookies, CSRF header on changes; sso.sessions).

    POST   /api/records/{record}/files     the body is the file's bytes; name in `X-File-Name`
                                           (percent-encoded UTF-8) or `?name=`; type from
                                           Content-Type; Content-Length required → 201 + file
    GET    /api/records/{record}/files     the record's files → {"files": [...]}
    GET    /api/files/{file}               the content, streamed, as an attachment
    DELETE /api/files/{file}               → 204

A user reaches the records and files of their own organisation only. Another organisation's
record or file is answered exactly as one that does not exist (404): a user cannot learn that it
exists. The upload is read from the request's stream a chunk at a time (never the whole body),
and a download is streamed from its provider through the service rather than redirected to
SharePoint's pre-authenticated URL: that URL works for anyone who holds it for a few minutes,
and the built-in provider has none. Errors are JSON: `{"error": message}`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from flask import Blueprint, Response, jsonify, request, stream_with_context
from werkzeug.exceptions import HTTPException

from files import service
from graph.errors import (
    ConsentMissing,
    MicrosoftError,
    MicrosoftUnavailable,
    NotConfigured,
)
from kinabase.errors import (
    FileTooLarge,
    IncompleteUpload,
    InvalidName,
    NotFound,
    StorageFailed,
)
from kinabase_m365.database import discard_session, get_database
from sso.sessions import current_user, signed_in

blueprint = Blueprint("files_api", __name__, url_prefix="/api")

STATUS_OF_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (NotFound, 404),
    (InvalidName, 400),
    (IncompleteUpload, 400),
    (FileTooLarge, 413),
    (ConsentMissing, 502),
    (NotConfigured, 503),
    (MicrosoftUnavailable, 503),
    (MicrosoftError, 502),
    (StorageFailed, 502),
)


class MissingLength(HTTPException):
    """An upload without Content-Length: its size must be known before it is stored."""

    code = 411
    description = "an upload needs a Content-Length"


def _error(error: Exception) -> Any:
    for kind, status in STATUS_OF_ERROR:
        if isinstance(error, kind):
            message = getattr(error, "message", None) or str(error)
            return jsonify({"error": message}), status
    raise error  # pragma: no cover - registered for the kinds above only


# Only these kinds: session and CSRF refusals stay sign-in's to answer (sso.sessions).
for _kind, _ in STATUS_OF_ERROR:
    blueprint.register_error_handler(_kind, _error)
blueprint.register_error_handler(
    MissingLength, lambda error: (jsonify({"error": error.description}), 411)
)


def _signed_in_org() -> tuple[int, int]:
    """The signed-in user's organisation and id; the request's own session is closed, so that
    no transaction stays open while bytes move."""
    user = current_user()
    org_id, user_id = user.org_id, user.id
    discard_session()
    return org_id, user_id


@blueprint.post("/records/<int:record_id>/files")
@signed_in
def upload(record_id: int) -> tuple[Response, int]:
    """Store the request's body as a file of the record."""
    org_id, user_id = _signed_in_org()
    size = request.content_length
    if size is None:
        raise MissingLength
    name = unquote(request.headers.get("X-File-Name", "")) or request.args.get("name", "")
    info = service.upload_file(
        get_database(),
        org_id,
        record_id,
        stream=request.stream,
        size=size,
        name=name,
        content_type=request.mimetype or None,
        user_id=user_id,
    )
    return jsonify(info.__dict__), 201


@blueprint.get("/records/<int:record_id>/files")
@signed_in
def list_files(record_id: int) -> Response:
    """The record's files."""
    org_id, _ = _signed_in_org()
    files = service.record_files(get_database(), org_id, record_id)
    return jsonify({"files": [info.__dict__ for info in files]})


@blueprint.get("/files/<int:file_id>")
@signed_in
def download(file_id: int) -> Response:
    """The file's content, streamed from its provider."""
    org_id, _ = _signed_in_org()
    info, chunks = service.open_file(get_database(), org_id, file_id)
    response = Response(stream_with_context(chunks), mimetype=info.content_type)
    response.headers["Content-Length"] = str(info.size)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(info.name)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.delete("/files/<int:file_id>")
@signed_in
def delete(file_id: int) -> Response:
    """Delete the file and its bytes."""
    org_id, _ = _signed_in_org()
    service.delete_file(get_database(), org_id, file_id)
    return Response(status=204)
