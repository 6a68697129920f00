"""Organisation → Users: every Kinabase user (email, user type, status, source, roles) and the
licence seats used of those available. Billing Administrators see the licence figures only."""

from __future__ import annotations

from flask import Blueprint

from console.guards import can_administer, licence_viewers_only
from console.identity_data import USER_TYPES
from console.pages import render_page
from console.users_listing import user_rows
from kinabase.organisations import get_organisation
from kinabase_m365.database import db_session
from sso.sessions import current_user

blueprint = Blueprint("console_users", __name__)


@blueprint.get("/admin/users")
@licence_viewers_only
def users_page() -> tuple[str, int]:
    """The users and the seats."""
    session = db_session()
    org_id = current_user().org_id
    organisation = get_organisation(session, org_id)
    administering = can_administer()
    return render_page(
        "console/users.html",
        seats_used=organisation.seats_in_use,
        seats_available=organisation.licence_seats,
        rows=user_rows(session, org_id) if administering else None,
        user_types=USER_TYPES,
    )
