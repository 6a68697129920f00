"""What the console's tests share: an organisation with a SCIM client, its Administrator signed
in with a password, and Entra's users."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kinabase.accounts import create_user
from kinabase.database import make_sessionmakers
from kinabase.users import UserType
from tests.conftest import Provisioned
from tests.passwords import password_hash

PASSWORD = "correct horse battery staple"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"


def sign_in(
    client: FlaskClient,
    engine: Engine,
    org_id: int,
    email: str,
    user_type: UserType = UserType.ADMINISTRATOR,
) -> str:
    """A new user of the organisation with a password, signed in on `client`; the CSRF value
    its forms carry."""
    _, write_sessions = make_sessionmakers(engine)
    with write_sessions() as session:
        user = create_user(session, org_id, email, active=True, user_type=user_type)
        user.password_hash = password_hash(PASSWORD)
        session.commit()
    form = {"org": str(org_id), "email": email, "password": PASSWORD}
    assert client.post("/login/password", data=form).status_code == 303
    cookie = client.get_cookie("csrf_access_token")
    assert cookie is not None
    return cookie.value


def entra_user(local: str, **extra: Any) -> dict[str, Any]:
    """A User as Entra provisions it, in the domain example.test."""
    email = f"{local}@example.test"
    return {
        "schemas": [CORE_USER, ENTERPRISE, CUSTOM],
        "userName": email,
        "name": {"givenName": local.title(), "familyName": "Tester"},
        "emails": [{"value": email, "type": "work", "primary": True}],
        "active": True,
        **extra,
    }


def provision_user(org: Provisioned, local: str, **extra: Any) -> str:
    """Entra creates the user; its SCIM id."""
    response = org.scim.post("/Users", entra_user(local, **extra))
    assert response.status_code == 201, response.text
    return str(response.json["id"])


def committed(session: Session) -> None:
    """Commit the test's session, so that the service's requests see its rows."""
    session.commit()
