"""Profile: the signed-in user's own photo, and the route that serves users' photos.

Any signed-in user may upload a photo (PNG or JPEG; `kinabase.photo_uploads` checks, resizes
and re-encodes it) or remove the one they uploaded, after which the photo from Microsoft 365, if
they have one, is shown again. A refused file is named next to the field. The request body is
limited before anything reads it (the session's CSRF check reads the form): a larger upload is
answered by sending the browser back to the page with the limit next to the field.

    GET  /profile                  the page
    POST /profile/photo            upload (multipart field `photo`)
    POST /profile/photo/remove     remove the uploaded photo
    GET  /users/<id>/photo         the photo shown for a user of the signed-in user's organisation
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, flash, request, url_for
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.exceptions import RequestEntityTooLarge

from console.forms import Form
from console.guards import signed_in
from console.pages import render_page
from kinabase.errors import NotFound
from kinabase.photo_uploads import (
    MAX_UPLOAD_BYTES,
    NOT_AN_IMAGE,
    TOO_LARGE,
    PhotoRefused,
    remove_uploaded_photo,
)
from kinabase.photo_uploads import upload_photo as store_uploaded_photo
from kinabase.photos import UPLOADED_PHOTO_SOURCE, directory_photo, shown_photo
from kinabase.users import get_user
from kinabase_m365.database import db_session
from sso.sessions import current_user
from sso.urls import see_other

blueprint = Blueprint("console_profile", __name__)
# The multipart envelope around the file (boundaries, headers, the CSRF field).
FORM_OVERHEAD = 64 * 1024


@blueprint.before_request
def _limit_uploads() -> None:
    """No more than a photo and its form may be read from an upload."""
    if request.endpoint == "console_profile.upload_photo":
        request.max_content_length = MAX_UPLOAD_BYTES + FORM_OVERHEAD


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Response:
    """Back to the page, which says so next to the field (the form was not read: no session
    check could run on it, so nothing else happens)."""
    return see_other(url_for("console_profile.profile_page", refused="too-large"))


def _profile_page(form: Form | None = None, status: int = 200) -> tuple[str, int]:
    user = current_user()
    session = db_session()
    shown = shown_photo(session, user.id)
    if form is None and request.args.get("refused") == "too-large":
        form = Form()
        form.error("photo", TOO_LARGE)
    return render_page(
        "console/profile.html",
        status,
        photo=shown,
        uploaded=shown is not None and shown.source == UPLOADED_PHOTO_SOURCE,
        has_directory_photo=directory_photo(session, user.id) is not None,
        photo_form=form,
        max_megabytes=MAX_UPLOAD_BYTES // (1024 * 1024),
    )


@blueprint.get("/profile")
@signed_in
def profile_page() -> tuple[str, int]:
    """The signed-in user's profile: name, email, user type and photo."""
    return _profile_page()


@blueprint.post("/profile/photo")
@signed_in
def upload_photo() -> tuple[str, int] | Response:
    """Make the uploaded file the user's photo, or show why it cannot be."""
    upload = request.files.get("photo")
    form = Form()
    if upload is None or not upload.filename:
        form.error("photo", NOT_AN_IMAGE)
        return _profile_page(form, 400)
    content = upload.read(MAX_UPLOAD_BYTES + 1)
    session = db_session()
    try:
        store_uploaded_photo(session, current_user().id, content)
    except PhotoRefused as refused:
        session.rollback()
        form.error("photo", str(refused))
        return _profile_page(form, 400)
    session.commit()
    flash("Your photo is saved.", "success")
    return see_other(url_for("console_profile.profile_page"))


@blueprint.post("/profile/photo/remove")
@signed_in
def remove_photo() -> Response:
    """Remove the photo the user uploaded."""
    session = db_session()
    user_id = current_user().id
    if remove_uploaded_photo(session, user_id):
        fallback = directory_photo(session, user_id) is not None
        session.commit()
        flash(
            "Your photo is removed: "
            + ("your Microsoft 365 photo is shown." if fallback else "you have no photo now."),
            "success",
        )
    return see_other(url_for("console_profile.profile_page"))


@blueprint.get("/users/<int:user_id>/photo")
@signed_in
def user_photo(user_id: int) -> Response:
    """The photo shown for a user of the signed-in user's organisation (404 for no photo, and
    for users of other organisations alike). Browsers may keep it but must ask again
    (`no-cache`), and are answered 304 while it has not changed."""
    session = db_session()
    try:
        user = get_user(session, current_user().org_id, user_id)
    except NotFound:
        raise HTTPNotFound() from None
    photo = shown_photo(session, user.id)
    if photo is None:
        raise HTTPNotFound()
    response = Response(photo.content, mimetype=photo.content_type)
    response.set_etag(hashlib.sha256(photo.content).hexdigest())
    response.headers["Cache-Control"] = "private, no-cache"
    response.make_conditional(request)  # 304 without the body when the ETag matches
    return response
