"""Throttling of password sign-in: per account and per client address, with growing delays.

Failed attempts are counted with the `limits` library's fixed windows, in tiers, so the wait grows
with persistence. An account (the organisation and the email address typed, whether or not an
account has it, so the answer never tells) allows 5 failures a minute, 10 in 15 minutes, 20 an
hour and 50 a day; a client address, shared by everyone behind one NAT, allows 30 a minute, 200
an hour and 1,000 a day. Beyond any of them the sign-in is refused (429 with Retry-After, saying
how long to wait) before the password is checked. A successful sign-in clears its account's
counters; an address's counters only expire.

The counters must be shared by every worker and machine: they live in the database
(`sign_in_throttle_counters`, through `DatabaseStorage` below), or in Redis when REDIS_URL is
set (`limits`' own Redis storage). The client address is the
one the WSGI server reports (`REMOTE_ADDR`): behind a reverse proxy, configure the server so
that it is the client's.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Engine, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from kinabase.database import WRITE_OPTION
from kinabase_m365.database import get_database
from kinabase_m365.settings import Settings, SettingsError
from sso.errors import SignInRefused
from sso.models import ThrottleCounter

EXTENSION_KEY = "sso.password_throttle"
ACCOUNT_LIMITS = parse_many("5/minute;10/15 minutes;20/hour;50/day")
ADDRESS_LIMITS = parse_many("30/minute;200/hour;1000/day")


class TooManyAttempts(SignInRefused):
    """Too many failed password sign-ins for the account or from the address (RFC 6585 §4)."""

    status = 429
    title = "Too many sign-in attempts"

    def __init__(self, wait_seconds: int) -> None:
        minutes = max(1, math.ceil(wait_seconds / 60))
        super().__init__(
            "There were too many failed sign-in attempts for this email address or from your "
            f"network. Wait {minutes} minute{'s' if minutes != 1 else ''} and try again."
        )
        self.retry_after = wait_seconds


@dataclass(frozen=True)
class PasswordThrottle:
    """The limits of password sign-in over one shared storage."""

    limiter: FixedWindowRateLimiter

    def check(self, org_id: int | None, email: str, address: str) -> None:
        """TooManyAttempts if the account or the address used up a limit."""
        wait = 0.0
        now = time.time()
        for item, identity in self._limits(org_id, email, address):
            if not self.limiter.test(item, identity):
                reset = self.limiter.get_window_stats(item, identity).reset_time
                wait = max(wait, reset - now)
        if wait > 0:
            raise TooManyAttempts(math.ceil(wait))

    def record_failure(self, org_id: int | None, email: str, address: str) -> None:
        """Count a failed attempt against the account and the address."""
        for item, identity in self._limits(org_id, email, address):
            self.limiter.hit(item, identity)

    def forget_account(self, org_id: int, email: str) -> None:
        """Clear the account's counters after a successful sign-in."""
        identity = _account(org_id, email)
        for item in ACCOUNT_LIMITS:
            self.limiter.clear(item, identity)

    @staticmethod
    def _limits(org_id: int | None, email: str, address: str) -> list[tuple[RateLimitItem, str]]:
        account = _account(org_id, email)
        return [(item, account) for item in ACCOUNT_LIMITS] + [
            (item, f"address:{address}") for item in ADDRESS_LIMITS
        ]


def _account(org_id: int | None, email: str) -> str:
    typed = f"{org_id}:{email.strip().lower()}".encode()
    return "account:" + hashlib.sha256(typed).hexdigest()


class DatabaseStorage(Storage):
    """`limits` storage in the service's database: one row per counter, incremented with an
    atomic INSERT … ON CONFLICT DO UPDATE (PostgreSQL and SQLite), each call its own short
    transaction, so that counts survive the sign-in's own rollback."""

    STORAGE_SCHEME = ["kinabase+database"]  # noqa: RUF012 - as limits' Storage declares it

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        # Writes begin as the service's writers do (on SQLite: the writer lock, BEGIN IMMEDIATE),
        # so callers must not hold a writing session of their own while they count.
        self.writer = engine.execution_options(**{WRITE_OPTION: True})

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(ThrottleCounter).values(
            key=key, count=amount, expires_at=now + expiry
        )
        table = ThrottleCounter.__table__.c
        expired = table.expires_at <= now
        upsert = insert.on_conflict_do_update(
            index_elements=[table.key],
            set_={
                "count": case((expired, amount), else_=table.count + amount),
                "expires_at": case((expired, now + expiry), else_=table.expires_at),
            },
        ).returning(table.count)
        with self.engine.begin() as connection:
            connection.execute(
                delete(ThrottleCounter).where(ThrottleCounter.expires_at < now - 86400)
            )
            return int(connection.execute(upsert).scalar_one())

    def get(self, key: str) -> int:
        with self.engine.connect() as connection:
            count = connection.execute(
                select(ThrottleCounter.count).where(
                    ThrottleCounter.key == key, ThrottleCounter.expires_at > time.time()
                )
            ).scalar_one_or_none()
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as connection:
            expires = connection.execute(
                select(ThrottleCounter.expires_at).where(ThrottleCounter.key == key)
            ).scalar_one_or_none()
        return float(expires) if expires is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.writer.begin() as connection:
            return int(connection.execute(delete(ThrottleCounter)).rowcount)

    def clear(self, key: str) -> None:
        with self.writer.begin() as connection:
            connection.execute(delete(ThrottleCounter).where(ThrottleCounter.key == key))


def init_app(app: Flask, settings: Settings) -> None:
    """Give the app its throttle: Redis when REDIS_URL is set, else the database."""
    storage: Storage
    if settings.redis_url:
        try:
            storage = storage_from_string(settings.redis_url)  # type: ignore[assignment]
        except ConfigurationError as error:
            raise SettingsError(f"REDIS_URL cannot be used: {error}") from None
    else:
        storage = DatabaseStorage(get_database(app).engine)
    app.extensions[EXTENSION_KEY] = PasswordThrottle(FixedWindowRateLimiter(storage))


def password_throttle() -> PasswordThrottle:
    """The running app's throttle of password sign-in."""
    throttle: PasswordThrottle = current_app.extensions[EXTENSION_KEY]
    return throttle
