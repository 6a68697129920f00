"""Rate limits per provisioning credential, with the `limits` library.

Each provisioning token and each OAuth client has its own allowance on /scim/v2
(SCIM_RATE_LIMIT, default 200 a second and 6,000 a minute), and each client id its own at the
token endpoint (OAUTH_TOKEN_RATE_LIMIT, default 30 a minute). Beyond it a request is answered 429
with `Retry-After` (RFC 6585 §4) and a SCIM Error body, before anything else is read.

Counts live in memory by default (one process: each gunicorn worker counts alone), and in Redis
when REDIS_URL is set, so that every worker and machine shares them. Keys are prefixed with a
digest of the database URL: credentials are rows of one database, and two deployments that share
a Redis server keep apart. The strategy is the sliding window counter: two counters per key and
window, so a limit of 6,000 a minute costs no more than one of 6.

In memory, expired counters are swept at most once a second (`SweepingMemoryStorage`): the
library's own storage starts a 10 ms timer thread for its sweep on nearly every request, which
measured 0.3-0.8 ms of CPU a request in-process (docs/performance.md).

Should Redis be unreachable, requests are let through and a warning is logged (at most once a
minute per process): rate limiting protects the service, it must not take provisioning down.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass, field

from flask import Flask, Response, current_app
from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage as AsyncStorage
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter
from sqlalchemy.engine import make_url

from kinabase_m365 import metrics
from kinabase_m365.settings import RATE_LIMIT_OFF, Settings
from scim_server.protocol.errors import ScimError
from scim_server.resources.http import scim_response

EXTENSION_KEY = "kinabase.rate_limits"
STORAGE_WARNING_INTERVAL = 60.0
# A Redis that does not answer must not hold a request for long.
REDIS_TIMEOUT_SECONDS = 0.5

log = logging.getLogger(__name__)


class SweepingMemoryStorage(MemoryStorage):
    """`limits`' in-memory storage, whose sweep of expired counters runs at most once every
    `SWEEP_INTERVAL` seconds instead of in a new thread after nearly every hit.

    Counting is the library's: a counter read after its expiry is dropped by `get` itself, so
    the sweep only frees the memory of counters nobody reads again (past windows).
    """

    SWEEP_INTERVAL = 1.0

    def __init__(self) -> None:
        self._next_sweep = time.monotonic() + self.SWEEP_INTERVAL
        super().__init__()

    def _MemoryStorage__schedule_expiry(self) -> None:
        # Overrides the private hook that MemoryStorage.incr calls (limits 5.x, pinned < 6);
        # tests/operations/test_rate_limits.py checks that it is still the one called.
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.SWEEP_INTERVAL
        sweep = getattr(super(), "_MemoryStorage__schedule_expiry")  # noqa: B009 - mangled
        sweep()


class RateLimited(ScimError):
    """The credential sent more requests than its allowance (RFC 6585 §4); try again after
    `retry_after` seconds. RFC 7644 §3.12 has no scimType for it."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"Too many requests for this credential; try again in {retry_after} s.")


def render_rate_limited(error: RateLimited) -> Response:
    """429 with `Retry-After` and a SCIM Error body (RFC 6585 §4, RFC 7644 §3.12)."""
    return scim_response(error.to_body(), 429, {"Retry-After": str(error.retry_after)})


@dataclass
class RateLimits:
    """The app's limiter: its storage, and the limits of /scim/v2 and of the token endpoint."""

    storage: Storage
    scim: list[RateLimitItem]
    token_endpoint: list[RateLimitItem]
    limiter: SlidingWindowCounterRateLimiter = field(init=False)
    _last_warning: float = field(default=-math.inf, init=False)

    def __post_init__(self) -> None:
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)

    def retry_after(self, items: list[RateLimitItem], *identity: str) -> int | None:
        """Count one request of `identity`; the seconds to wait if it is over a limit, else
        None."""
        try:
            for item in items:
                if not self.limiter.hit(item, *identity):
                    stats = self.limiter.get_window_stats(item, *identity)
                    return max(1, math.ceil(stats.reset_time - time.time()))
        except StorageError as error:
            self._warn_storage_failed(error)
        return None

    def _warn_storage_failed(self, error: StorageError) -> None:
        now = time.monotonic()
        if now - self._last_warning >= STORAGE_WARNING_INTERVAL:
            self._last_warning = now
            log.warning(
                "rate limit storage unreachable, requests are not limited: %s",
                type(error.storage_error).__name__,
            )


def _parsed(value: str) -> list[RateLimitItem]:
    return [] if value.strip().lower() == RATE_LIMIT_OFF else parse_many(value)


def key_prefix(database_url: str) -> str:
    """The Redis key prefix of one deployment: its database, whose rows the credentials are."""
    rendered = make_url(database_url).render_as_string(hide_password=True)
    return "kinabase-m365:" + hashlib.sha256(rendered.encode()).hexdigest()[:12]


def init_app(app: Flask, settings: Settings) -> RateLimits:
    """Give the app its limiter: in memory, or in Redis with REDIS_URL."""
    storage: Storage | AsyncStorage
    if settings.redis_url:
        storage = storage_from_string(
            settings.redis_url,
            key_prefix=key_prefix(settings.database_url),
            wrap_exceptions=True,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
    else:
        storage = SweepingMemoryStorage()
    if not isinstance(storage, Storage):  # pragma: no cover - an async+ URL
        raise TypeError("REDIS_URL must name a synchronous storage")
    rate_limits = RateLimits(
        storage=storage,
        scim=_parsed(settings.scim_rate_limit),
        token_endpoint=_parsed(settings.oauth_token_rate_limit),
    )
    app.extensions[EXTENSION_KEY] = rate_limits
    return rate_limits


def get_rate_limits(app: Flask | None = None) -> RateLimits:
    """The limiter of the given or current app."""
    rate_limits: RateLimits = (app or current_app).extensions[EXTENSION_KEY]
    return rate_limits


def check_scim_request(kind: str, credential_id: str) -> None:
    """Count a SCIM request of a credential; RateLimited (429) beyond its allowance."""
    rate_limits = get_rate_limits()
    wait = rate_limits.retry_after(rate_limits.scim, "scim", kind, credential_id)
    if wait is not None:
        metrics.count_rate_limited("scim")
        raise RateLimited(wait)


def check_token_request(client_id: str) -> int | None:
    """Count a token request for a client id; the seconds to wait beyond its allowance."""
    rate_limits = get_rate_limits()
    wait = rate_limits.retry_after(rate_limits.token_endpoint, "oauth-token", client_id)
    if wait is not None:
        metrics.count_rate_limited("oauth_token")
    return wait
