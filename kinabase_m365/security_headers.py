"""Response headers every answer of the service carries (OWASP Secure Headers).

* `X-Content-Type-Options: nosniff` on every response: a browser takes the declared media type.
* `Cache-Control: no-store` on SCIM and JSON answers (they carry personal data) and on any other
  response that does not set its own caching (static files do).
* On HTML pages, `X-Frame-Options: DENY` and a Content-Security-Policy: scripts, styles and
  images only from the service itself (the pages' one inline `<style>` is allowed), forms only to
  the service and to Microsoft's sign-in (a form's redirect counts), no framing
  (`frame-ancestors 'none'`). A view that sets its own policy (a page meant to be framed, such
  as an Outlook add-in's task pane) keeps it, and gets no `X-Frame-Options`.
"""

from __future__ import annotations

from flask import Flask, Response, request

from kinabase_m365.runtime import current_settings

NO_STORE_PATHS = ("/scim/", "/api/")


def content_security_policy(authority_host: str) -> str:
    """The policy of the service's HTML pages; forms may also go to Microsoft's sign-in."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action 'self' {authority_host.rstrip('/')}",
            "frame-ancestors 'none'",
        ]
    )


def add_security_headers(response: Response) -> Response:
    """Set the headers above on a response about to be sent."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    personal = request.path.startswith(NO_STORE_PATHS) or response.is_json
    mimetype = response.mimetype or ""
    if personal or mimetype.endswith("+json") or "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    # A page's own policy says who may frame it (frame-ancestors): X-Frame-Options DENY would
    # forbid what it allows in browsers that read only the older header.
    if mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers["Content-Security-Policy"] = content_security_policy(
            current_settings().microsoft_authority_host
        )
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response of the app."""
    app.after_request(add_security_headers)
