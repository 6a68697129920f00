"""Sign in with Microsoft (OpenID Connect through msal), password sign-in, admin consent that
binds an Entra tenant to an organisation, and cookie sessions.

`init_app(app)` wires it into the service; nothing happens at import.
"""

from __future__ import annotations

import logging

from flask import Flask

from kinabase_m365.runtime import current_settings

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Register the sign-in pages, callbacks and session handling on the app."""
    # Imported here so that `import sso.models` (the schema, the migrations) stays light.
    from sso import (  # noqa: PLC0415
        callback,
        consent,
        errors,
        login,
        oidc,
        sessions,
        throttle,
    )

    with app.app_context():
        settings = current_settings()
    if settings.microsoft_configured and not settings.public_base_url:
        log.warning(
            "PUBLIC_BASE_URL is not set: sign in with Microsoft and admin consent are refused; "
            "app-only use of Microsoft works"
        )
    errors.init_app(app)
    sessions.init_app(app, settings)
    oidc.init_app(app, settings)
    throttle.init_app(app, settings)
    for blueprint in (
        login.blueprint,
        callback.blueprint,
        consent.blueprint,
    ):
        app.register_blueprint(blueprint)
