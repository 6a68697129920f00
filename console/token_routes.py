"""Identity & Provisioning → SCIM: create a secret token (shown once) and revoke one.

A new token's secret is in the answer to the POST that created it, and nowhere else: not in a
redirect, a flash cookie or a log. Only its SHA-256 is stored (`kinabase.provisioning_tokens`).
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, url_for
from marshmallow import Schema, fields, validate

from console.forms import read_form
from console.guards import administrators_only
from console.identity_page import render_identity
from console.pages import not_found
from kinabase.errors import NotFound
from kinabase.provisioning_tokens import issue_token, revoke_token
from kinabase_m365.database import db_session
from sso.sessions import current_user
from sso.urls import see_other

blueprint = Blueprint("console_tokens", __name__)
blueprint.register_error_handler(NotFound, not_found)


class NewTokenSchema(Schema):
    """A token's label: what the token is for (the Entra app it is pasted into)."""

    label = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        error_messages={"required": "Give the token a label, such as the Entra app it is for."},
    )


@blueprint.post("/admin/identity/tokens")
@administrators_only
def create_token() -> tuple[str, int]:
    """Issue a token and show its secret, once."""
    form = read_form(NewTokenSchema())
    label = (form.data or {}).get("label", "").strip()
    if form.data is not None and not label:
        form.error("label", "Give the token a label, such as the Entra app it is for.")
    if not form.valid:
        return render_identity(400, page_forms={"token": form})
    session = db_session()
    issued = issue_token(session, current_user().org_id, label)
    session.commit()
    return render_identity(200, new_token={"label": label, "secret": issued.secret})


@blueprint.post("/admin/identity/tokens/<int:token_id>/revoke")
@administrators_only
def revoke(token_id: int) -> Response:
    """Revoke one of the organisation's tokens (another organisation's is not found: 404)."""
    session = db_session()
    token = revoke_token(session, token_id, current_user().org_id)
    label = token.label
    session.commit()
    flash(f"Token “{label}” is revoked: Entra can no longer provision with it.", "success")
    return see_other(url_for("console_identity.identity_page", _anchor="scim"))
