"""The Provisioning activity page and its CSV export, through Flask's test client."""

from __future__ import annotations

import csv
import html
import io
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation, create_user
from kinabase.provisioning_tokens import issue_token
from kinabase.users import UserType
from tests.passwords import password_hash
from tests.scim_client import USER_SCHEMA, ScimClient

PASSWORD = "correct horse battery staple"


def organisation_with_scim(
    app: Flask, session: Session, name: str, seats: int = 25
) -> tuple[int, ScimClient]:
    organisation = create_organisation(session, name, licence_seats=seats)
    secret = issue_token(session, organisation.id, "Entra").secret
    session.commit()
    return organisation.id, ScimClient(app.test_client(), secret)


def sign_in(
    client: FlaskClient, session: Session, org_id: int, email: str, user_type: UserType
) -> None:
    user = create_user(session, org_id, email, active=True, user_type=user_type)
    user.password_hash = password_hash(PASSWORD)
    session.commit()
    form = {"org": str(org_id), "email": email, "password": PASSWORD}
    assert client.post("/login/password", data=form).status_code == 303


def _user(user_name: str, **attributes: Any) -> dict[str, Any]:
    return {"schemas": [USER_SCHEMA], "userName": user_name, **attributes}


def test_an_administrator_sees_refusals_with_what_to_do(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    # The administrator takes the organisation's one seat; so no directory user gets one.
    org_id, scim = organisation_with_scim(app, session, "Acme", seats=1)
    sign_in(client, session, org_id, "ada@acme.test", UserType.ADMINISTRATOR)
    assert scim.post("/Users", _user("bob@acme.test")).status_code == 403
    assert scim.post("/Users", _user("jdoe")).status_code == 201

    page = client.get("/admin/provisioning-activity")

    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "<h1>Provisioning activity</h1>" in text
    assert 'aria-current="page">Provisioning activity</a>' in page.text
    assert text.count('data-testid="activity-entry"') == 2
    assert text.index("jdoe") < text.index("bob@acme.test")  # newest first
    assert "No licence seat is left." in text
    assert "licence allocation exhausted: 1 of 1 seats in use" in text
    assert "Entra sent no email address" in text
    assert 'token "Entra"' in text


def test_the_filter_selects_by_outcome_and_resource(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    org_id, scim = organisation_with_scim(app, session, "Acme")
    sign_in(client, session, org_id, "ada@acme.test", UserType.ADMINISTRATOR)
    scim.post("/Users", _user("bob@acme.test"))
    scim.post(
        "/Groups",
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales"},
    )
    scim.delete("/Users/nobody")

    refused = client.get("/admin/provisioning-activity?outcome=refused").text
    groups = client.get("/admin/provisioning-activity?type=Group").text
    none = client.get("/admin/provisioning-activity?outcome=pending&type=Group").text

    assert refused.count('data-testid="activity-entry"') == 1 and "DELETE User" in refused
    assert groups.count('data-testid="activity-entry"') == 1 and "Sales" in groups
    assert "No activity matches this filter." in none


def test_a_bad_filter_is_refused_next_to_its_field(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    org_id, _ = organisation_with_scim(app, session, "Acme")
    sign_in(client, session, org_id, "ada@acme.test", UserType.ADMINISTRATOR)

    page = client.get("/admin/provisioning-activity?outcome=maybe&page=0")

    assert page.status_code == 400
    assert '<ul class="field-errors" id="outcome-errors">' in page.text
    assert "Pages start at 1." in page.text


def test_pages_of_fifty_newest_first(app: Flask, client: FlaskClient, session: Session) -> None:
    org_id, scim = organisation_with_scim(app, session, "Acme")
    sign_in(client, session, org_id, "ada@acme.test", UserType.ADMINISTRATOR)
    for index in range(52):
        scim.delete(f"/Users/gone-{index:02d}")

    first = client.get("/admin/provisioning-activity?outcome=refused").text
    second = client.get("/admin/provisioning-activity?outcome=refused&page=2").text

    assert first.count('data-testid="activity-entry"') == 50
    assert "gone-51" in first and "gone-01" not in first
    assert 'href="/admin/provisioning-activity?outcome=refused&amp;page=2" rel="next"' in first
    assert second.count('data-testid="activity-entry"') == 2
    assert "gone-01" in second and "gone-00" in second and 'rel="next"' not in second


def test_the_csv_export_streams_what_the_filter_selects(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    org_id, scim = organisation_with_scim(app, session, "Acme")
    sign_in(client, session, org_id, "ada@acme.test", UserType.ADMINISTRATOR)
    scim.post("/Users", _user("bob@acme.test"))
    scim.post("/Users", _user("=HYPERLINK(1)"))
    scim.delete("/Users/nobody")

    with client.get("/admin/provisioning-activity.csv?type=User&outcome=pending") as response:
        assert response.status_code == 200
        assert response.is_streamed
        assert response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))

    assert [(r["method"], r["outcome"], r["reason"]) for r in rows] == [
        ("POST", "pending", "no-email")
    ]
    assert rows[0]["name"] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    with client.get("/admin/provisioning-activity.csv") as everything:
        rows = list(csv.DictReader(io.StringIO(everything.get_data(as_text=True))))
    assert [(r["method"], r["status"]) for r in rows] == [
        ("DELETE", "404"),
        ("POST", "201"),
        ("POST", "201"),
    ]
    assert rows[0]["credential"].startswith('token "Entra"')


def test_each_administrator_sees_only_their_organisation(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    acme, acme_scim = organisation_with_scim(app, session, "Acme")
    globex, globex_scim = organisation_with_scim(app, session, "Globex")
    acme_scim.post("/Users", _user("bob@acme.test"))
    globex_scim.post("/Users", _user("grace@globex.test"))
    sign_in(client, session, globex, "gil@globex.test", UserType.ADMINISTRATOR)

    page = client.get("/admin/provisioning-activity").text
    with client.get("/admin/provisioning-activity.csv") as export:
        exported = export.get_data(as_text=True)

    assert "grace@globex.test" in page and "bob@acme.test" not in page
    assert "grace@globex.test" in exported and "bob@acme.test" not in exported
    assert acme != globex


def test_others_than_administrators_are_refused(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    org_id, _ = organisation_with_scim(app, session, "Acme")
    sign_in(client, session, org_id, "bill@acme.test", UserType.BILLING_ADMINISTRATOR)

    assert client.get("/admin/provisioning-activity").status_code == 403
    assert client.get("/admin/provisioning-activity.csv").status_code == 403
    anonymous = app.test_client().get("/admin/provisioning-activity.csv")
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["Location"]
