"""The real Redis server on loopback, for the tests of limits shared by workers and machines."""

from __future__ import annotations

import os

import pytest
import redis

from scim_server.resources.rate_limits import key_prefix

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> str:
    """The test Redis URL; a test without Redis is skipped, except in CI, where it fails."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        message = f"Redis at {REDIS_URL} does not answer ({error})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL


def forget_counts(database_url: str) -> None:
    """Delete the rate-limit counts of the deployment on this database (ids restart per test)."""
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=key_prefix(database_url) + ":*"):
        client.delete(key)
