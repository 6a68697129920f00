"""What Outlook loads of the add-in: the manifest, its icons, the task pane and the sign-in dialog.

The task pane and the dialog are static pages (HTML and plain JavaScript modules under
`outlook/static/`); what they show comes from the API under `/outlook/api/`, called with an Entra
access token, never with the service's session cookies. Both pages are meant to be framed by
Outlook, so they carry a Content-Security-Policy of their own: scripts from the service and from
Microsoft's Office.js CDN, connections to the service and to Microsoft's sign-in (MSAL.js), and
framing only by Outlook's hosts.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, render_template

from kinabase_m365.runtime import current_settings
from outlook.icons import icon_png
from outlook.manifest import ICON_SIZES, ManifestUnavailable, manifest_for

OFFICE_JS_URL = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
# Where Outlook frames an add-in's pages: Outlook on the web and the new Outlook (office.com,
# office365.com, outlook.com, cloud.microsoft), and Microsoft 365's own hosts.
OUTLOOK_FRAME_ANCESTORS = (
    "https://*.office.com",
    "https://*.office365.com",
    "https://*.outlook.com",
    "https://outlook.live.com",
    "https://*.cloud.microsoft",
    "https://*.microsoft.com",
)
ICON_MAX_AGE = 24 * 3600

blueprint = Blueprint(
    "outlook_pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/outlook/static",
)


def add_in_content_security_policy(authority_host: str) -> str:
    """The policy of the task pane and the dialog: framed by Outlook, Office.js from its CDN."""
    authority = authority_host.rstrip("/")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' https://appsforoffice.microsoft.com",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {authority}",
            f"frame-src 'self' {authority}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'self' " + " ".join(OUTLOOK_FRAME_ANCESTORS),
        ]
    )


def _add_in_page(template: str) -> Response:
    """An HTML page of the add-in, with the policy that lets Outlook frame it."""
    settings = current_settings()
    response = Response(render_template(template, office_js_url=OFFICE_JS_URL))
    response.headers["Content-Security-Policy"] = add_in_content_security_policy(
        settings.microsoft_authority_host
    )
    return response


@blueprint.get("/outlook/manifest.xml")
def manifest() -> Response:
    """The add-in's XML manifest for this deployment (outlook/manifest.py)."""
    settings = current_settings()
    try:
        values = manifest_for(
            settings.public_base_url,
            settings.microsoft_client_id,
            settings.outlook_api_identifier_uri,
        )
    except ManifestUnavailable as refusal:
        return Response(str(refusal) + "\n", status=503, mimetype="text/plain")
    body = render_template("outlook/manifest.xml", manifest=values)
    return Response(body, mimetype="application/xml")


@blueprint.get("/outlook/icons/icon-<int:size>.png")
def icon(size: int) -> Response:
    """One of the icons the manifest names."""
    if size not in ICON_SIZES:
        abort(404)
    response = Response(icon_png(size), mimetype="image/png")
    response.headers["Cache-Control"] = f"public, max-age={ICON_MAX_AGE}"
    return response


@blueprint.get("/outlook/taskpane")
def taskpane() -> Response:
    """The task pane Outlook shows beside an email being read."""
    return _add_in_page("outlook/taskpane.html")


@blueprint.get("/outlook/sign-in")
def sign_in_dialog() -> Response:
    """The page Outlook's dialog opens where nested app authentication is not available: it
    signs in with MSAL.js (redirects to Microsoft and back here) and hands the access token to the
    task pane with `messageParent`."""
    return _add_in_page("outlook/sign-in.html")


def init_app(app: Flask) -> None:
    """Serve the add-in's pages."""
    app.register_blueprint(blueprint)
