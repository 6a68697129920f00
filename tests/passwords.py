"""The stored form of the tests' passwords, computed once per password for the whole run."""

from __future__ import annotations

from functools import cache

from sso.passwords import hash_password


@cache
def password_hash(password: str) -> str:
    """`sso.passwords.hash_password(password)`, computed once per run for each password.

    A hash costs about 0.1 s by design (scrypt with N=32768, RFC 7914), and hundreds of tests
    give a user the same password. They store this one hash (a real one, with its random salt);
    every sign-in still checks it at full cost, and the tests of hashing itself call
    `hash_password`.
    """
    return hash_password(password)
