"""The console's navigation: one list, in the order the header shows it.

A page joins the navigation with one `NavEntry` here: its label, its view's endpoint and who
sees it. The header shows a user only the entries their user type may open, and marks the one
whose path the current page is under.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kinabase.users import UserType


class Audience(enum.Enum):
    """Who may open a page (and so sees its entry)."""

    ADMINISTRATORS = "administrators"
    # Administrators, and Billing Administrators for the licence figures.
    LICENCE_VIEWERS = "licence viewers"
    EVERYONE = "everyone"

    def admits(self, user_type: UserType) -> bool:
        """Whether a user of this type may open the page."""
        if self is Audience.EVERYONE:
            return True
        if self is Audience.LICENCE_VIEWERS:
            return user_type in (UserType.ADMINISTRATOR, UserType.BILLING_ADMINISTRATOR)
        return user_type is UserType.ADMINISTRATOR


@dataclass(frozen=True)
class NavEntry:
    """One link of the navigation."""

    label: str
    endpoint: str
    audience: Audience = Audience.ADMINISTRATORS


NAVIGATION: tuple[NavEntry, ...] = (
    NavEntry("Identity & Provisioning", "console_identity.identity_page"),
    # Users, File Storage, Provisioning activity, Profile: added with their pages.
)


def entries_for(user_type: UserType) -> list[NavEntry]:
    """The entries a user of this type sees."""
    return [entry for entry in NAVIGATION if entry.audience.admits(user_type)]
