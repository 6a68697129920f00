"""The Administrators' JSON API for Sync now: sessions and CSRF as sign-in sets them, marshmallow
validation (400 naming the field), candidates, groups, import, sync and job status."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from jobs.models import Job
from kinabase.accounts import create_user
from kinabase.roles import create_role
from kinabase.users import UserType
from tests.directory.conftest import Cloud, Organisations, kinabase_users, run_job
from tests.passwords import password_hash
from tests.sso.support import signed_in_with_password

PASSWORD = "correct horse battery staple"
API = "/admin/api/directory"


def signed_in(
    service: Flask, session: Session, org_id: int, email: str, user_type: UserType
) -> FlaskClient:
    user = create_user(session, org_id, email, user_type=user_type, active=True)
    user.password_hash = password_hash(PASSWORD)
    session.commit()
    return signed_in_with_password(service.test_client(), org_id, email, PASSWORD)


@pytest.fixture
def admin(service: Flask, write: Session, orgs: Organisations) -> FlaskClient:
    return signed_in(service, write, orgs.acme, "ada@acme.test", UserType.ADMINISTRATOR)


def post(browser: FlaskClient, path: str, body: Any = None) -> Any:
    return browser.post(API + path, json=body)


def test_candidates_groups_import_and_job_status(
    service: Flask, microsoft: Cloud, admin: FlaskClient, orgs: Organisations, write: Session
) -> None:
    groups = admin.get(f"{API}/groups")
    assert groups.status_code == 200, groups.text
    assert [g["displayName"] for g in groups.json["groups"]] == ["EMEA", "Sales"]
    page = admin.get(f"{API}/candidates?limit=2")
    assert page.status_code == 200, page.text
    assert page.json["nextOffset"] == 2 and len(page.json["users"]) == 2
    sales = admin.get(f"{API}/candidates?group=Sales").json
    assert sorted(u["userPrincipalName"] for u in sales["users"]) == [
        "dana@contoso.test",
        "erin@contoso.test",
    ]
    assert sales["users"][0].keys() >= {"id", "displayName", "jobTitle", "mail"}

    chosen = [{"user": "erin@contoso.test", "userType": "billing_administrator", "roles": []}]
    queued = post(admin, "/import", {"users": chosen})
    assert queued.status_code == 202, queued.text
    assert queued.json["status"] == "queued"
    run_job(service, queued.json["id"])
    status = admin.get(f"{API}/jobs/{queued.json['id']}")

    assert status.status_code == 200
    assert status.json | {"createdAt": None, "finishedAt": None} == {
        "id": queued.json["id"],
        "kind": "directory.import",
        "status": "succeeded",
        "step": "finished",
        "done": 1,
        "total": 1,
        "failed": 0,
        "error": None,
        "createdAt": None,
        "finishedAt": None,
        "items": [
            {
                "id": microsoft.erin.object_id,
                "userPrincipalName": "erin@contoso.test",
                "outcome": "created",
                "reason": None,
            }
        ],
    }
    erin = kinabase_users(write, orgs.acme)["erin@contoso.test"]
    assert erin.user_type is UserType.BILLING_ADMINISTRATOR
    remaining = admin.get(f"{API}/candidates").json["users"]
    assert "erin@contoso.test" not in [u["userPrincipalName"] for u in remaining]


def test_choices_are_the_user_types_this_organisations_roles_and_the_seats_left(
    service: Flask, admin: FlaskClient, write: Session, orgs: Organisations
) -> None:
    create_role(write, orgs.acme, "Sales")
    create_role(write, orgs.acme, "Engineering")
    create_role(write, orgs.globex, "Globex only")
    create_user(write, orgs.acme, "bob@acme.test", active=True)
    create_user(write, orgs.acme, "cy@acme.test")  # invited: holds no seat
    write.commit()

    response = admin.get(f"{API}/choices")

    assert response.status_code == 200, response.text
    assert response.json["userTypes"] == [
        {"value": "user", "label": "User"},
        {"value": "administrator", "label": "Administrator"},
        {"value": "billing_administrator", "label": "Billing Administrator"},
    ]
    assert [role["name"] for role in response.json["roles"]] == ["Engineering", "Sales"]
    assert response.json["seats"] == {"total": 10, "inUse": 2, "left": 8}  # Ada and Bob


def test_sync_is_queued_as_a_job(
    service: Flask, admin: FlaskClient, write: Session, orgs: Organisations
) -> None:
    queued = post(admin, "/sync")
    assert queued.status_code == 202, queued.text
    assert run_job(service, queued.json["id"]).kind == "directory.sync"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"users": [{"user": "x@contoso.test", "userType": "king"}]}, "users"),
        ({"users": [{"roles": []}]}, "users"),
        ({"all": True, "group": "Sales"}, "users"),
        ({}, "users"),
        ({"all": "maybe"}, "all"),
        ({"all": True, "roles": "Sales"}, "roles"),
        ({"all": True, "userType": "owner"}, "userType"),
    ],
)
def test_bad_input_is_400_naming_the_field(
    admin: FlaskClient, body: dict[str, Any], field: str
) -> None:
    response = post(admin, "/import", body)

    assert response.status_code == 400
    assert field in response.json["fields"]


def test_bad_query_is_400_naming_the_field(admin: FlaskClient) -> None:
    response = admin.get(f"{API}/candidates?limit=0&offset=-1")

    assert response.status_code == 400
    assert set(response.json["fields"]) == {"limit", "offset"}


def test_a_seat_shortfall_is_409_with_the_seats_missing(
    microsoft: Cloud, admin: FlaskClient, write: Session
) -> None:
    for index in range(10):
        microsoft.contoso.add_user(f"extra{index}", f"Extra {index}")
    chosen = [{"user": f"extra{index}@contoso.test"} for index in range(10)]

    response = post(admin, "/import", {"users": chosen})  # 10 seats, Ada holds one

    assert response.status_code == 409
    assert response.json["seatsMissing"] == 1
    assert write.query(Job).count() == 0


def test_consent_missing_is_409_saying_to_consent_again(
    microsoft: Cloud, admin: FlaskClient
) -> None:
    microsoft.cloud.revoke_permission(
        microsoft.contoso.tenant_id, microsoft.registration.client_id, "GroupMember.Read.All"
    )

    response = admin.get(f"{API}/groups")

    assert response.status_code == 409
    assert response.json["consentRequired"] is True
    assert "GroupMember.Read.All" in response.json["error"]


def test_only_administrators_may_use_it(
    service: Flask, write: Session, orgs: Organisations
) -> None:
    user = signed_in(service, write, orgs.acme, "bob@acme.test", UserType.USER)

    assert user.get(f"{API}/candidates").status_code == 403
    assert user.get(f"{API}/choices").status_code == 403
    assert post(user, "/sync").status_code == 403
    anonymous = service.test_client()
    for refused in (anonymous.post(f"{API}/sync"), anonymous.get(f"{API}/candidates")):
        assert refused.status_code == 401, refused.data  # JSON, never the sign-in page
        assert "not signed in" in refused.get_json()["error"]


def test_posts_without_the_csrf_token_are_refused(admin: FlaskClient, write: Session) -> None:
    # The session is fine, the request is not: 403 (sso/sessions.py), never "not signed in".
    del admin.environ_base["HTTP_X_CSRF_TOKEN"]
    refused = admin.post(f"{API}/sync")
    assert refused.status_code == 403 and "X-CSRF-TOKEN" in refused.get_json()["error"]
    assert write.query(Job).count() == 0


def test_another_organisations_job_is_not_found(
    service: Flask, admin: FlaskClient, write: Session, orgs: Organisations
) -> None:
    other = signed_in(service, write, orgs.globex, "gil@globex.test", UserType.ADMINISTRATOR)
    theirs = post(other, "/sync").json["id"]

    assert admin.get(f"{API}/jobs/{theirs}").status_code == 404
