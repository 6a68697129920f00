"""Refusals of the mapping layer: a provisioned resource that cannot be projected onto Kinabase.

Every one is a `kinabase.errors.DomainError`, raised before anything is written. The HTTP layer
answers them as SCIM errors (RFC 7644 §3.12): `EmailInUse` (and so `AlreadyLinked`) is a 409
`uniqueness`; the others are a 400 `invalidValue`.
"""

from __future__ import annotations

from kinabase.errors import DomainError, EmailInUse


class AlreadyLinked(EmailInUse):
    """The Kinabase user with this email is already linked to another directory user."""

    def __init__(self, email: str, other_directory_id: str) -> None:
        super().__init__(email)
        self.other_directory_id = other_directory_id
        self.args = (
            f"the Kinabase user with the email {email!r} is already linked to directory user "
            f"{other_directory_id!r}",
        )


class InvalidManager(DomainError):
    """The manager reference cannot be linked (a user cannot manage themself)."""


class InvalidFieldMapping(DomainError):
    """A colleague field mapping entry that cannot work (unknown field, bad path, wrong type)."""


class InvalidGroupRule(DomainError):
    """A group rule that cannot work (no group, unknown roles, nothing to give)."""
