"""Who may open a console page: the session is sign-in's (`sso.sessions`), and with it the CSRF
check of every POST; the user type decides the rest. Anyone else gets sign-in's 403 page.

- `administrators_only`: the organisation's Administrators.
- `licence_viewers_only`: Administrators and Billing Administrators; a page guarded so shows a
  Billing Administrator the licence figures only (`can_administer()` is False for them).
- `signed_in`: any signed-in user (their own profile).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from console.navigation import Audience
from kinabase.users import UserType
from sso.errors import NotAnAdministrator
from sso.sessions import administrators_only, current_user, signed_in

__all__ = ["administrators_only", "can_administer", "licence_viewers_only", "signed_in"]

View = TypeVar("View", bound=Callable[..., Any])


def licence_viewers_only(view: View) -> View:
    """Views that Billing Administrators may open too (for the licence figures)."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not Audience.LICENCE_VIEWERS.admits(current_user().user_type):
            raise NotAnAdministrator(
                "Only an Administrator or a Billing Administrator of the organisation can see this."
            )
        return view(*args, **kwargs)

    return signed_in(cast(View, guarded))


def can_administer() -> bool:
    """Whether the signed-in user is an Administrator (inside a guarded view)."""
    return current_user().user_type is UserType.ADMINISTRATOR
