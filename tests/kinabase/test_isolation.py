"""Every query helper that takes an organisation sees only that organisation's rows."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation, create_user
from kinabase.colleagues import colleague_record, colleagues_collection
from kinabase.errors import NotFound
from kinabase.licences import seats_in_use
from kinabase.provisioning_tokens import issue_token, list_tokens, revoke_token
from kinabase.roles import create_role, find_role, get_role, grant_role, list_roles, roles_of_user
from kinabase.users import (
    find_user_by_email,
    find_user_by_entra_object_id,
    get_user,
    list_users,
)


def test_query_helpers_never_cross_organisations(session: Session) -> None:
    acme = create_organisation(session, "Acme")
    other = create_organisation(session, "Other")
    ada = create_user(session, acme.id, "ada@acme.test", active=True)
    ada.entra_object_id = "00000000-0000-0000-0000-00000000000a"
    sales = create_role(session, acme.id, "Sales")
    grant_role(session, ada.id, sales)
    token = issue_token(session, acme.id, "entra").record

    assert get_user(session, acme.id, ada.id) is ada
    with pytest.raises(NotFound):
        get_user(session, other.id, ada.id)
    assert find_user_by_email(session, other.id, "ada@acme.test") is None
    assert find_user_by_entra_object_id(session, other.id, ada.entra_object_id) is None
    assert list_users(session, other.id) == []
    assert seats_in_use(session, other.id) == 0
    assert find_role(session, other.id, "Sales") is None
    with pytest.raises(NotFound):
        get_role(session, other.id, sales.id)
    assert list_roles(session, other.id) == []
    assert roles_of_user(session, other.id, ada.id) == []
    assert roles_of_user(session, acme.id, ada.id) == [sales]
    with pytest.raises(NotFound):
        colleague_record(session, other.id, ada.id)
    assert colleagues_collection(session, other.id).id != colleagues_collection(session, acme.id).id
    assert list_tokens(session, other.id) == []
    with pytest.raises(NotFound):
        revoke_token(session, token.id, org_id=other.id)
    assert token.revoked_at is None
