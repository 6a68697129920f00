"""Response headers (kinabase_m365/security_headers.py): nosniff everywhere, no-store on SCIM
and JSON answers, and on pages a Content-Security-Policy and no framing."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import Provisioned
from tests.scim_client import entra_user


def test_scim_answers_are_never_stored_and_never_sniffed(acme: Provisioned) -> None:
    created = acme.scim.post("/Users", entra_user("ada@acme.test", "Ada", "Lovelace", "ada"))
    responses = [
        created,
        acme.scim.get(f"/Users/{created.json['id']}"),
        acme.scim.get("/Users"),
        acme.scim.get("/ServiceProviderConfig"),
        acme.scim.get("/Nothing"),
        acme.scim.http.get("/scim/v2/Users"),  # 401
    ]
    for response in responses:
        assert response.headers["Cache-Control"] == "no-store", response.request.path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" not in response.headers


def test_pages_forbid_framing_and_carry_a_content_security_policy(
    client: FlaskClient, acme: Provisioned
) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"
    policy = dict(
        part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";")
    )
    assert policy["frame-ancestors"] == "'none'"
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    # The sign-in form posts here, and its answer redirects to Microsoft's sign-in.
    assert policy["form-action"] == "'self' https://login.microsoftonline.com"
    assert "<style>" in page.get_data(as_text=True)  # the one inline style is allowed
    assert "'unsafe-inline'" in policy["style-src"]


def test_the_health_check_is_not_cached(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
