"""User type grants: the highest granted type wins; the hand-given type returns when none apply."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation, create_user
from kinabase.user_types import (
    UserTypeGrant,
    set_user_type_by_hand,
    settle_user_types,
    user_type_source,
)
from kinabase.users import UserType


def test_grants_decide_while_they_apply_and_the_hand_given_type_comes_back(
    session: Session,
) -> None:
    acme = create_organisation(session, "Acme")
    other = create_organisation(session, "Other")
    ada = create_user(session, acme.id, "ada@acme.test", user_type=UserType.BILLING_ADMINISTRATOR)
    eve = create_user(session, other.id, "eve@other.test")
    session.add_all(
        [
            UserTypeGrant(user_id=ada.id, source="group-rule:1", user_type=UserType.USER),
            UserTypeGrant(user_id=ada.id, source="group-rule:2", user_type=UserType.ADMINISTRATOR),
            UserTypeGrant(user_id=eve.id, source="group-rule:3", user_type=UserType.ADMINISTRATOR),
        ]
    )
    session.flush()

    settle_user_types(session, acme.id)

    assert (ada.user_type, user_type_source(ada)) == (UserType.ADMINISTRATOR, "grants")
    assert eve.user_type is UserType.USER  # another organisation's users are not settled
    set_user_type_by_hand(ada, UserType.USER)
    assert ada.user_type is UserType.ADMINISTRATOR

    session.execute(delete(UserTypeGrant).where(UserTypeGrant.source == "group-rule:2"))
    settle_user_types(session, acme.id)
    assert ada.user_type is UserType.USER and user_type_source(ada) == "grants"

    set_user_type_by_hand(ada, UserType.BILLING_ADMINISTRATOR)
    assert ada.user_type is UserType.USER  # the remaining grant still decides
    session.execute(delete(UserTypeGrant).where(UserTypeGrant.user_id == ada.id))
    settle_user_types(session, acme.id)
    assert (ada.user_type, user_type_source(ada)) == (UserType.BILLING_ADMINISTRATOR, "manual")
