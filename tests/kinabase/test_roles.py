"""Role grants remember their source; a user keeps a role while any source grants it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation, create_user
from kinabase.roles import MANUAL, create_role, grant_role, revoke_role, roles_of_user


def test_revoking_one_source_keeps_roles_granted_by_others(session: Session) -> None:
    acme = create_organisation(session, "Acme")
    ada = create_user(session, acme.id, "ada@acme.test")
    sales = create_role(session, acme.id, "Sales")
    support = create_role(session, acme.id, "Support")

    assert grant_role(session, ada.id, sales, MANUAL)
    assert grant_role(session, ada.id, sales, "group-rule:1")
    assert not grant_role(session, ada.id, sales, "group-rule:1")
    assert grant_role(session, ada.id, support, "group-rule:1")

    assert revoke_role(session, ada.id, sales, "group-rule:1")
    assert revoke_role(session, ada.id, support, "group-rule:1")
    assert not revoke_role(session, ada.id, support, "group-rule:1")
    assert roles_of_user(session, acme.id, ada.id) == [sales]
