"""Microsoft Graph over HTTP with app-only tokens: one GET, retried the way Graph asks.

Every Graph read of the service goes through `get_json`, `get_bytes` or `iter_pages`, with the
app's one HTTP session (`graph.connection`) and the tenant's app-only token (`graph.app_tokens`),
so inside a Flask app context. What they do for every caller:

- **Throttling and outages** (Graph, "Microsoft Graph throttling guidance"): 429, 503 and 504 are
  sent again after `Retry-After` (seconds, fractional ones too, or an HTTP date), or after a
  jittered exponential backoff when Graph sends none; a connection that fails is retried the
  same way. `RETRY` bounds the attempts and the total time; a wait that would end beyond the time
  left is not started. What is left failing raises `GraphUnavailable`.
- **Expired tokens**: a 401 `InvalidAuthenticationToken` (a token Graph refuses before msal's
  cache thinks it expired) gets a new token from Entra, once per request.
- **Refusals**: 403 raises `ConsentMissing` naming the application permission the caller needs;
  404 `GraphNotFound`; 410 `DeltaExpired`; any other 4xx or 5xx `GraphRequestFailed` or
  `GraphUnavailable`.
- **Paging** (Graph, "Paging Microsoft Graph data"): `iter_pages` follows `@odata.nextLink`
  verbatim, and sends the request's headers (`ConsistencyLevel`) again on each page, since the
  link does not carry them. One page is held at a time.

Waiting goes through the module's `clock`: tests replace it by one that moves time forward
without sleeping, and the retry code above runs as in production.
"""

from __future__ import annotations

import logging
import math
import random
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from graph.app_tokens import acquire_app_token
from graph.connection import http_session
from graph.endpoints import graph_base_url
from graph.errors import (
    MAX_MICROSOFT_TEXT,
    ConsentMissing,
    DeltaExpired,
    GraphNotFound,
    GraphRequestFailed,
    GraphUnavailable,
)
from kinabase_m365.runtime import current_settings

log = logging.getLogger(__name__)

GRAPH_VERSION = "v1.0"
RETRIED_STATUSES = frozenset({429, 503, 504})
TIMEOUT = (10.0, 60.0)  # connect, read (seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How long Graph may keep a request waiting before it is given up."""

    max_attempts: int = 6
    total_seconds: float = 120.0
    first_backoff: float = 1.0  # without Retry-After: 1, 2, 4, 8 … seconds, jittered
    max_backoff: float = 30.0

    def backoff(self, attempt: int) -> float:
        """The wait after the `attempt`-th failure when Graph said nothing: between half and
        all of the doubling delay ("equal jitter"), so that workers throttled together spread."""
        delay: float = min(self.max_backoff, self.first_backoff * 2.0 ** (attempt - 1))
        return delay / 2 + _jitter.uniform(0, delay / 2)


class Clock:
    """Time as the retries see it: wall time (HTTP dates), a monotonic clock and sleeping."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def monotonic(self) -> float:
        """A clock that never goes back, for deadlines."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Wait."""
        time.sleep(seconds)


RETRY = RetryPolicy()
clock = Clock()
_jitter = random.Random()  # noqa: S311 - spreads retries; not a secret


def graph_url(path: str) -> str:
    """The URL of a Graph v1.0 resource path (`/users`) at the configured Graph host."""
    return f"{graph_base_url(current_settings())}/{GRAPH_VERSION}{path}"


def get_json(
    tenant_id: str,
    url: str,
    params: Mapping[str, str] | None = None,
    *,
    permission: str,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """GET a Graph resource as JSON; `permission` is the one a 403 would say is missing."""
    response = send_get(tenant_id, url, params, permission=permission, headers=headers)
    try:
        body = response.json()
    except ValueError as error:
        raise GraphUnavailable(f"Microsoft Graph answered {url} with no JSON") from error
    if not isinstance(body, dict):
        raise GraphUnavailable(f"Microsoft Graph answered {url} with no JSON object")
    return body


def get_bytes(tenant_id: str, url: str, *, permission: str) -> bytes:
    """GET a Graph resource's binary content (a photo's `$value`)."""
    return send_get(tenant_id, url, None, permission=permission).content


def iter_pages(
    tenant_id: str,
    url: str,
    params: Mapping[str, str] | None = None,
    *,
    permission: str,
    headers: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Each page of a Graph collection, following `@odata.nextLink` verbatim; the last page is
    the one without it (a delta round's carries `@odata.deltaLink`)."""
    page = get_json(tenant_id, url, params, permission=permission, headers=headers)
    while True:
        yield page
        next_link = page.get("@odata.nextLink")
        if not isinstance(next_link, str):
            return
        page = get_json(tenant_id, next_link, permission=permission, headers=headers)


def iter_values(
    tenant_id: str,
    url: str,
    params: Mapping[str, str] | None = None,
    *,
    permission: str,
    headers: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Each object of a Graph collection, page after page."""
    for page in iter_pages(tenant_id, url, params, permission=permission, headers=headers):
        for value in page.get("value", []):
            if isinstance(value, dict):
                yield value


def send_get(
    tenant_id: str,
    url: str,
    params: Mapping[str, str] | None,
    *,
    permission: str,
    headers: Mapping[str, str] | None = None,
) -> requests.Response:
    """GET with retries (see the module's docstring); a 2xx response, or an error raised."""
    deadline = clock.monotonic() + RETRY.total_seconds
    token = acquire_app_token(tenant_id)
    renewed = False
    attempt = 0
    while True:
        attempt += 1
        request_id = str(uuid.uuid4())
        sent = {
            **(headers or {}),
            "Authorization": f"Bearer {token}",
            "client-request-id": request_id,  # Microsoft support traces a request by it
        }
        try:
            response: requests.Response | None = http_session().get(
                url, params=params, headers=sent, timeout=TIMEOUT
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            log.info("Graph GET %s failed (%s)", _path(url), type(error).__name__)
            response = None
        if response is not None:
            if response.status_code < 300:
                return response
            if response.status_code == 401 and not renewed and _token_refused(response):
                log.info("Graph refused the token of tenant %s; asking for a new one", tenant_id)
                token = acquire_app_token(tenant_id, renew=True)
                renewed = True
                attempt -= 1  # a renewed token is not a retry of a failing Graph
                continue
            if response.status_code not in RETRIED_STATUSES:
                raise _refusal(response, permission)
        wait = _wait_before_retry(response, attempt, deadline, url)
        log.info("Graph GET %s: retry %d in %.1f s", _path(url), attempt, wait)
        clock.sleep(wait)


def _wait_before_retry(
    response: requests.Response | None, attempt: int, deadline: float, url: str
) -> float:
    """How long to wait before the next attempt, or GraphUnavailable if none is left."""
    what = f"HTTP {response.status_code}" if response is not None else "no connection"
    if attempt >= RETRY.max_attempts:
        raise GraphUnavailable(
            f"Microsoft Graph kept failing ({what}) for {_path(url)} after {attempt} attempts"
        )
    asked = retry_after(response.headers.get("Retry-After")) if response is not None else None
    wait = asked if asked is not None else RETRY.backoff(attempt)
    if clock.monotonic() + wait > deadline:
        raise GraphUnavailable(
            f"Microsoft Graph kept failing ({what}) for {_path(url)}: waiting {wait:.0f} s "
            f"more would exceed {RETRY.total_seconds:.0f} s"
        )
    return wait


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header (RFC 9110 §10.2.3): delay-seconds, which
    Graph may send with a fraction ("2.128"), or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when: datetime = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT
            return None
        seconds = when.timestamp() - clock.now()
    return None if math.isnan(seconds) else max(0.0, seconds)


def _refusal(response: requests.Response, permission: str) -> Exception:
    status = response.status_code
    code, message = _error(response)
    if status == 403:
        return ConsentMissing(permission, message)
    if status == 404:
        return GraphNotFound(status, code, message)
    if status == 410:
        return DeltaExpired(status, code, message)
    if status >= 500:
        text = f"Microsoft Graph answered {status} {code}: {message}"
        return GraphUnavailable(text[:MAX_MICROSOFT_TEXT])
    return GraphRequestFailed(status, code, message)


def _token_refused(response: requests.Response) -> bool:
    """Graph's 401 for a token it no longer takes (expired, or signed with a retired key)."""
    return _error(response)[0] == "InvalidAuthenticationToken"


def _error(response: requests.Response) -> tuple[str, str]:
    """Graph's error `code` and `message` ({"error": {"code", "message", …}})."""
    try:
        error = response.json().get("error", {})
        return str(error.get("code", "")), str(error.get("message", ""))
    except (ValueError, AttributeError):
        return "", response.reason or ""


def _path(url: str) -> str:
    """The URL without its query, for logs (skip and delta tokens say nothing useful)."""
    return url.split("?", 1)[0]
