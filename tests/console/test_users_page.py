"""The Users page: every user with email, type, status, source and roles; the seats; Billing
Administrators see the seats only; another organisation's users never show."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from directory.jobs import IMPORT
from jobs.progress import ItemOutcome, create_job, record_items
from kinabase.accounts import create_user
from kinabase.roles import create_role, grant_role
from kinabase.users import UserType
from tests.conftest import Provisioned
from tests.console.support import provision_user, sign_in

GRACE_OBJECT_ID = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"


def row_of(page: str, email: str) -> str:
    """The table row that holds `email`."""
    start = page.index(f"<td>{email}</td>")
    return page[page.rindex("<tr>", 0, start) : page.index("</tr>", start)]


def test_every_user_shows_where_they_came_from_with_their_roles_and_the_seats(
    client: FlaskClient, engine: Engine, acme: Provisioned, globex: Provisioned, session: Session
) -> None:
    provision_user(acme, "bob")
    provision_user(acme, "grace", externalId=GRACE_OBJECT_ID)
    provision_user(globex, "eve")
    job = create_job(session, acme.org_id, IMPORT, {"users": [GRACE_OBJECT_ID]})
    record_items(session, job.id, [ItemOutcome(GRACE_OBJECT_ID, "grace@example.test", "created")])
    manual = create_user(session, acme.org_id, "carol@example.test", active=False)
    grant_role(session, manual.id, create_role(session, acme.org_id, "Finance"))
    session.commit()
    sign_in(client, engine, acme.org_id, "ada@example.test")

    page = client.get("/admin/users")

    assert page.status_code == 200
    assert "3 of 25 seats used" in page.text.replace("<strong>", "").replace("</strong>", "")
    assert "Entra SCIM" in row_of(page.text, "bob@example.test")
    assert "Sync now" in row_of(page.text, "grace@example.test")
    carol = row_of(page.text, "carol@example.test")
    assert "Manual" in carol and "Finance" in carol and "Invited" in carol
    ada = row_of(page.text, "ada@example.test")
    assert "Administrator" in ada and "Active" in ada
    assert "eve@example.test" not in page.text


def test_billing_administrators_see_the_seats_only_and_users_nothing(
    client: FlaskClient, engine: Engine, acme: Provisioned
) -> None:
    provision_user(acme, "bob")
    sign_in(client, engine, acme.org_id, "bill@example.test", UserType.BILLING_ADMINISTRATOR)

    page = client.get("/admin/users")

    assert page.status_code == 200
    assert "seats used" in page.text
    assert "bob@example.test" not in page.text and 'data-testid="users"' not in page.text
    assert ">Identity &amp; Provisioning<" not in page.text  # not in their navigation
    assert client.get("/admin/identity").status_code == 403
    someone = client.application.test_client()
    sign_in(someone, engine, acme.org_id, "user@example.test", UserType.USER)
    assert someone.get("/admin/users").status_code == 403
