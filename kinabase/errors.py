"""Domain errors: a rule of the Kinabase model refused a change, and nothing was written."""

from __future__ import annotations


class DomainError(Exception):
    """A change that the Kinabase model does not allow."""


class NotFound(DomainError):
    """The object does not exist in this organisation."""


class LicenceExhausted(DomainError):
    """Activating one more user would exceed the organisation's licence seats."""

    def __init__(self, seats: int, in_use: int) -> None:
        self.seats = seats
        self.in_use = in_use
        super().__init__(f"licence allocation exhausted: {in_use} of {seats} seats in use")


class EmailInUse(DomainError):
    """Another user of the organisation already has this email address."""

    def __init__(self, email: str) -> None:
        self.email = email
        super().__init__(f"another user of this organisation already has the email {email!r}")


class InvalidSetting(DomainError):
    """A settings change that would leave the organisation in an unusable state."""


class InvalidName(DomainError):
    """A name that cannot be used: blank, several lines, too long, or one that makes no key."""


class FieldExists(DomainError):
    """The collection already has a field of this name, or one whose key the name would take."""


class InvalidFieldType(DomainError):
    """A field type that does not exist, or that a field of this collection cannot have."""


class FileTooLarge(DomainError):
    """A file larger than the storage accepts (FILES_MAX_BYTES)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the file is larger than the limit of {limit} bytes")


class IncompleteUpload(DomainError):
    """The content ended before, or went on after, the size the upload announced."""


class StorageFailed(DomainError):
    """The storage provider could not store, read or delete the bytes (the message says why)."""


class DuplicateRecord(DomainError):
    """A contact with this email address, or an organisation with this domain, already exists."""

    def __init__(self, message: str, record_id: int) -> None:
        self.record_id = record_id
        super().__init__(message)


class NotDesignated(DomainError):
    """No collection of the organisation is designated to hold contacts, or organisations."""
