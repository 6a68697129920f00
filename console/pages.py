"""Rendering a console page inside the layout: the organisation, the user, the navigation and
the session's CSRF value are given to every page's template."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for

from console.navigation import entries_for
from kinabase.organisations import get_organisation
from kinabase_m365.database import db_session
from sso.sessions import current_user, session_claims


def navigation_links() -> list[dict[str, Any]]:
    """The signed-in user's entries as links, the current page's marked."""
    links = []
    for entry in entries_for(current_user().user_type):
        href = url_for(entry.endpoint)
        current = request.path == href or request.path.startswith(href.rstrip("/") + "/")
        links.append({"label": entry.label, "href": href, "current": current})
    return links


def render_page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """A page of the console (inside a guarded view), with its HTTP status."""
    user = current_user()
    page = render_template(
        template,
        user=user,
        organisation=get_organisation(db_session(), user.org_id),
        navigation=navigation_links(),
        csrf_token=session_claims()["csrf"],
        **context,
    )
    return page, status
