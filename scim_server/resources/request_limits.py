"""How much of a request the SCIM service reads: the URL and the body, refused before reading.

* A body larger than `SCIM_MAX_REQUEST_BYTES` (default 8 MiB: a 100,000-member group fits) is
  `413` with a SCIM Error message. A `Content-Length` above the limit is refused before a byte of
  the body is read; a body streamed without one (chunked) is cut off as soon as it passes the
  limit. The limit is advertised as `bulk.maxPayloadSize` in /ServiceProviderConfig.
* A URL (path and query) longer than `MAX_URL_LENGTH` is `414` with a SCIM Error message under
  /scim/v2; long queries belong in `POST .search` (RFC 7644 §3.4.3). gunicorn reads request
  lines of up to 8,190 bytes when served by `kinabase-m365 serve`, so the service answers these
  itself.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import RequestURITooLarge

from kinabase_m365.runtime import current_settings
from scim_server.protocol.errors import UriTooLong
from scim_server.resources.error_handlers import in_scim, render_scim_error
from scim_server.resources.http import payload_too_large

MAX_URL_LENGTH = 4096


def request_uri_length() -> int:
    """The length of the request's URL as the client sent it (path and query)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if isinstance(raw, str):
        return len(raw)
    return len(request.path) + 1 + len(request.query_string)


def refuse_long_urls() -> Response | None:
    """414 for a URL over MAX_URL_LENGTH (a SCIM body under /scim/v2), before routing."""
    if request_uri_length() <= MAX_URL_LENGTH:
        return None
    if in_scim():
        return render_scim_error(UriTooLong(f"The URL is longer than {MAX_URL_LENGTH} characters."))
    raise RequestURITooLarge()


def limit_request_body() -> None:
    """Refuse a declared body over the limit now; make reading stop at the limit otherwise."""
    limit = current_settings().scim_max_request_bytes
    # A streamed body is read to one byte past the limit at most, which tells that it is over.
    request.max_content_length = limit + 1
    if request.content_length is not None and request.content_length > limit:
        raise payload_too_large()


def init_app(app: Flask) -> None:
    """Check every request's URL length before it is routed."""
    app.before_request(refuse_long_urls)
