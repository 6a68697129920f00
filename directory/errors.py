"""Why a directory pull cannot go ahead; each says what to do, in one line."""

from __future__ import annotations

from kinabase.errors import DomainError


class NotConnected(DomainError):
    """The organisation is bound to no Microsoft 365 tenant."""

    def __init__(self, org_id: int) -> None:
        super().__init__(
            f"organisation {org_id} is not connected to a Microsoft 365 tenant: an Administrator "
            "connects it in Identity & Provisioning (or: kinabase-m365 org connect)"
        )


class SeatShortfall(DomainError):
    """An import needs more licence seats than are free; nothing was imported."""

    def __init__(self, needed: int, free: int) -> None:
        self.needed = needed
        self.free = free
        self.missing = needed - free
        super().__init__(
            f"{self.missing} licence seats missing: the import needs {needed} and {free} are "
            "free; nothing was imported"
        )


class UnknownGroup(DomainError):
    """A security group asked for by object id or name is not in the directory."""
