"""Identity & Provisioning → Group rules: add one (a group by display name or Entra object id,
the roles and the user type its members get) and remove one, through the provisioning service
(`scim_server.provisioning.rules`), which applies the change to the users already provisioned."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from console.forms import FORM_ERRORS, as_sentence, read_form
from console.guards import administrators_only
from console.identity_page import render_identity
from console.pages import not_found
from kinabase.errors import DomainError, NotFound
from kinabase.users import UserType
from kinabase_m365.database import db_session
from scim_server.provisioning.rules import add_rule, delete_rule
from sso.sessions import current_user
from sso.urls import see_other

NOTHING_GIVEN = "Choose at least one role or a user type."

blueprint = Blueprint("console_rules", __name__)
blueprint.register_error_handler(NotFound, not_found)


class NewRuleSchema(Schema):
    """A rule: the group, and what its members get."""

    group = fields.String(
        required=True,
        validate=validate.Length(min=1, max=256),
        error_messages={"required": "Name the group: its display name or Entra object ID."},
    )
    roles = fields.List(fields.String(validate=validate.Length(min=1, max=200)))
    user_type = fields.String(validate=validate.OneOf(["", *(member.value for member in UserType)]))

    @validates_schema
    def gives_something(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A rule that gives nothing is refused next to the roles."""
        if not data.get("roles") and not data.get("user_type"):
            raise ValidationError(NOTHING_GIVEN, "roles")


@blueprint.post("/admin/identity/rules")
@administrators_only
def create_rule() -> Response | tuple[str, int]:
    """Add a rule and apply it to the group's members already provisioned."""
    form = read_form(NewRuleSchema())
    group = (form.data or {}).get("group", "").strip()
    if form.data is not None and not group:
        form.error("group", "Name the group: its display name or Entra object ID.")
    if form.data is None:
        return render_identity(400, page_forms={"rule": form})
    user_type = form.data.get("user_type") or None
    session = db_session()
    try:
        add_rule(
            session,
            current_user().org_id,
            group=group,
            role_names=form.data.get("roles", []),
            user_type=UserType(user_type) if user_type else None,
        )
    except DomainError as refusal:
        session.rollback()
        form.error(FORM_ERRORS, as_sentence(refusal))
        return render_identity(409, page_forms={"rule": form})
    session.commit()
    flash(f"Members of {group} now get what the rule gives.", "success")
    return see_other(url_for("console_identity.identity_page", _anchor="group-rules"))


@blueprint.post("/admin/identity/rules/<int:rule_id>/remove")
@administrators_only
def remove_rule(rule_id: int) -> Response:
    """Remove a rule and take back what it gave (another organisation's rule: 404)."""
    session = db_session()
    delete_rule(session, current_user().org_id, rule_id)
    session.commit()
    flash("The rule is removed, and what it gave is taken back.", "success")
    return see_other(url_for("console_identity.identity_page", _anchor="group-rules"))
