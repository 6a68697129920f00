"""Identity & Provisioning → Colleague field mapping: change a field's source to any SCIM
attribute path, preview the value it gives one stored user before saving, and reset a field to
its default. Saving and resetting project every stored user again (the provisioning service's
`map_colleague_field`, `reset_colleague_fields`), so existing Colleagues change at once."""

from __future__ import annotations

from flask import Blueprint, Response, flash, url_for
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from console.forms import Form, as_sentence, read_form
from console.guards import administrators_only
from console.identity_page import render_identity
from console.pages import not_found
from kinabase.errors import DomainError, NotFound
from kinabase_m365.database import db_session
from scim_server.provisioning.field_preview import preview_field_value
from scim_server.provisioning.rules import (
    colleague_field_sources,
    map_colleague_field,
    reset_colleague_fields,
)
from sso.sessions import current_user
from sso.urls import see_other

PREVIEW, SAVE = "preview", "save"

blueprint = Blueprint("console_mapping", __name__)
blueprint.register_error_handler(NotFound, not_found)


class FieldSourceSchema(Schema):
    """A new source for one Colleague field, and what to do with it."""

    field = fields.String(required=True, validate=validate.Length(min=1, max=100))
    source = fields.String(
        required=True,
        validate=validate.Length(min=1, max=300),
        error_messages={"required": "Choose or type a SCIM attribute path."},
    )
    user = fields.String(validate=validate.Length(max=36))
    action = fields.String(required=True, validate=validate.OneOf([PREVIEW, SAVE]))


class ResetSchema(Schema):
    """The field whose default source comes back."""

    field = fields.String(required=True, validate=validate.Length(min=1, max=100))


def updated(count: int) -> str:
    """How many users a change reached, in words."""
    return f"{count} user was updated" if count == 1 else f"{count} users were updated"


def _field_name(session: Session, field_key: str) -> str:
    """A Colleague field's name, for people."""
    sources = colleague_field_sources(session, current_user().org_id)
    return next((entry.field.name for entry in sources if entry.field.key == field_key), field_key)


def _refused(form: Form, status: int) -> tuple[str, int]:
    return render_identity(status, page_forms={"mapping": form})


@blueprint.post("/admin/identity/field-mapping")
@administrators_only
def change_field_source() -> Response | tuple[str, int]:
    """Preview (nothing is written) or save a field's new source."""
    form = read_form(FieldSourceSchema())
    if form.data is None:
        return _refused(form, 400)
    field_key, source = form.data["field"], form.data["source"].strip()
    if form.data["action"] == PREVIEW:
        return _preview(form, field_key, source, form.data.get("user", ""))
    session = db_session()
    try:
        resync = map_colleague_field(session, current_user().org_id, field_key, source)
    except DomainError as refusal:
        session.rollback()
        form.error("source", as_sentence(refusal))
        return _refused(form, 409)
    session.commit()
    name = _field_name(session, field_key)
    flash(f"{name} now comes from {source}; {updated(resync.projected)}.", "success")
    return see_other(url_for("console_identity.identity_page", _anchor="field-mapping"))


def _preview(form: Form, field_key: str, source: str, user_id: str) -> tuple[str, int]:
    """The identity page with the value the source gives the chosen user; nothing is written."""
    if not user_id:
        form.error("user", "Choose a user to preview the value with.")
        return _refused(form, 400)
    try:
        preview = preview_field_value(
            db_session(), current_user().org_id, field_key, source, user_id
        )
    except NotFound:
        form.error("user", "This user is not provisioned (any more).")
        return _refused(form, 400)
    except DomainError as refusal:
        form.error("source", as_sentence(refusal))
        return _refused(form, 400)
    return render_identity(200, page_forms={"mapping": form}, preview=preview)


@blueprint.post("/admin/identity/field-mapping/reset")
@administrators_only
def reset_field_source() -> Response | tuple[str, int]:
    """Bring back a field's default source, and update every user."""
    form = read_form(ResetSchema())
    if form.data is None:
        return _refused(form, 400)
    session = db_session()
    try:
        resync = reset_colleague_fields(session, current_user().org_id, form.data["field"])
    except DomainError as refusal:
        session.rollback()
        form.error("field", as_sentence(refusal))
        return _refused(form, 409)
    session.commit()
    name = _field_name(session, form.data["field"])
    flash(
        f"{name} takes its default source again; {updated(resync.projected)}.",
        "success",
    )
    return see_other(url_for("console_identity.identity_page", _anchor="field-mapping"))
