"""The admin console: the pages signed-in users see under one layout.

One Jinja layout (`console/layout.html`: header with the organisation and the user, the
navigation of `console.navigation`, flash messages), one stylesheet and one small script served
as static files under `/console/static/` (no build step), the guards of `console.guards` and the
form helpers of `console.forms` (marshmallow validation, errors next to their fields, the
session's CSRF value in every form). Pages render through `console.pages.render_page`.

`init_app(app)` registers the console's blueprints; nothing happens at import.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from kinabase_m365.runtime import current_settings

# Templates (`console/…`) and static files (`/console/static/…`) of every console page.
blueprint = Blueprint(
    "console",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/console/static",
)


def init_app(app: Flask) -> None:
    """Register the layout's templates and static files, and the console's pages."""
    from console import (  # noqa: PLC0415 - imported when the app is built
        activity_page,
        file_storage_page,
        identity_page,
        mapping_routes,
        profile_page,
        rule_routes,
        token_routes,
        users_page,
    )

    with app.app_context():
        settings = current_settings()
    # Flash messages live in Flask's signed session cookie, which only the console uses: the
    # same flags as the sign-in session's cookies.
    app.config.update(
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
    )
    app.register_blueprint(blueprint)
    for page in (
        identity_page,
        token_routes,
        rule_routes,
        mapping_routes,
        users_page,
        activity_page,
        file_storage_page,
        profile_page,
    ):
        app.register_blueprint(page.blueprint)
