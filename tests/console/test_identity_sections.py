"""Identity & Provisioning's sections through Flask's test client: refusals next to their
fields, nothing written on a refusal, and another organisation's things out of reach."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kinabase.provisioning_tokens import ProvisioningToken, issue_token, verify_token
from kinabase.roles import create_role
from scim_server.provisioning.rules import add_rule, colleague_field_sources, rules
from tests.conftest import Provisioned
from tests.console.support import CUSTOM, provision_user, sign_in
from tests.kinabase_view import KinabaseView

COST_CENTRE = f"{CUSTOM}:costCentre"


def test_a_new_token_is_shown_once_and_works_and_a_blank_label_is_refused_at_its_field(
    client: FlaskClient, engine: Engine, acme: Provisioned, read_session: Session
) -> None:
    csrf = sign_in(client, engine, acme.org_id, "ada@example.test")

    blank = client.post("/admin/identity/tokens", data={"csrf_token": csrf, "label": "  "})
    created = client.post("/admin/identity/tokens", data={"csrf_token": csrf, "label": "Entra"})

    assert blank.status_code == 400
    assert 'id="label-errors"' in blank.text and "Give the token a label" in blank.text
    assert created.status_code == 200
    secret = created.text.split('data-testid="new-token"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert secret.startswith("kbm365_")
    assert verify_token(read_session, secret) is not None
    assert secret not in client.get("/admin/identity").text  # shown once
    assert "Set-Cookie" not in created.headers or secret not in str(created.headers)
    labels = read_session.scalars(
        select(ProvisioningToken.label).where(ProvisioningToken.org_id == acme.org_id)
    ).all()
    assert labels == ["tests", "Entra"]


def test_revoking_works_for_the_organisations_own_tokens_only(  # noqa: PLR0917
    client: FlaskClient,
    engine: Engine,
    acme: Provisioned,
    globex: Provisioned,
    session: Session,
    read_session: Session,
) -> None:
    own = issue_token(session, acme.org_id, "own")
    other = issue_token(session, globex.org_id, "other")
    session.commit()
    csrf = sign_in(client, engine, acme.org_id, "ada@example.test")

    foreign = client.post(
        f"/admin/identity/tokens/{other.record.id}/revoke", data={"csrf_token": csrf}
    )
    mine = client.post(f"/admin/identity/tokens/{own.record.id}/revoke", data={"csrf_token": csrf})
    forged = client.post(f"/admin/identity/tokens/{own.record.id}/revoke")

    assert foreign.status_code == 404 and "Not found" in foreign.text
    assert verify_token(read_session, other.secret) is not None
    assert mine.status_code == 303
    assert verify_token(read_session, own.secret) is None
    assert forged.status_code == 403  # no CSRF value


def test_a_rule_giving_nothing_is_refused_at_the_roles_and_a_good_one_reaches_members(
    client: FlaskClient,
    engine: Engine,
    acme: Provisioned,
    session: Session,
    read_session: Session,
) -> None:
    create_role(session, acme.org_id, "Sales")
    session.commit()
    bob = provision_user(acme, "bob")
    group = acme.scim.post(
        "/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Sales Team",
            "members": [{"value": bob}],
        },
    )
    assert group.status_code == 201
    csrf = sign_in(client, engine, acme.org_id, "ada@example.test")

    empty = client.post("/admin/identity/rules", data={"csrf_token": csrf, "group": "Sales Team"})
    unknown = client.post(
        "/admin/identity/rules",
        data={"csrf_token": csrf, "group": "Sales Team", "roles": ["Nobody"]},
    )
    added = client.post(
        "/admin/identity/rules",
        data={"csrf_token": csrf, "group": "Sales Team", "roles": ["Sales"], "user_type": ""},
    )

    assert empty.status_code == 400
    assert (
        'id="roles-errors"' in empty.text
        and "Choose at least one role or a user type" in empty.text
    )
    assert unknown.status_code == 409 and "No role named &#39;Nobody&#39;" in unknown.text
    assert added.status_code == 303
    assert [rule.group for rule in rules(read_session, acme.org_id)] == ["Sales Team"]
    user = KinabaseView(engine, acme.org_id).user("bob@example.test")
    assert user is not None and user.roles == ("Sales",)


def test_removing_another_organisations_rule_is_not_found(
    client: FlaskClient, engine: Engine, acme: Provisioned, globex: Provisioned, session: Session
) -> None:
    create_role(session, globex.org_id, "Sales")
    foreign = add_rule(session, globex.org_id, group="Sales Team", role_names=["Sales"])
    session.commit()
    csrf = sign_in(client, engine, acme.org_id, "ada@example.test")

    response = client.post(f"/admin/identity/rules/{foreign.id}/remove", data={"csrf_token": csrf})

    assert response.status_code == 404
    assert len(rules(session, globex.org_id)) == 1


def test_the_mapping_previews_without_writing_refuses_bad_paths_at_the_field_and_saves(
    client: FlaskClient, engine: Engine, acme: Provisioned, read_session: Session
) -> None:
    bob = provision_user(acme, "bob", title="Engineer", **{CUSTOM: {"costCentre": "CC-42"}})
    csrf = sign_in(client, engine, acme.org_id, "ada@example.test")
    form = {"csrf_token": csrf, "field": "jobTitle", "source": COST_CENTRE, "user": bob}

    page = client.get("/admin/identity").text
    preview = client.post("/admin/identity/field-mapping", data={**form, "action": "preview"})
    no_user = client.post(
        "/admin/identity/field-mapping", data={**form, "user": "", "action": "preview"}
    )
    bad_path = client.post(
        "/admin/identity/field-mapping", data={**form, "source": "not a path!", "action": "save"}
    )
    view = KinabaseView(engine, acme.org_id)
    before = view.user("bob@example.test")
    saved = client.post("/admin/identity/field-mapping", data={**form, "action": "save"})

    assert f'<option value="{COST_CENTRE}">' in page  # the picker offers what Bob carries
    assert '<option value="emails[type eq &#34;work&#34;].value">' in page
    assert preview.status_code == 200 and "Job Title would be\n      “CC-42”" in preview.text
    assert no_user.status_code == 400 and 'id="user-errors"' in no_user.text
    assert bad_path.status_code == 409 and 'id="source-errors"' in bad_path.text
    assert "is not a SCIM attribute path" in bad_path.text
    assert before is not None and before.colleague.get("jobTitle") == "Engineer"
    assert saved.status_code == 303
    after = view.user("bob@example.test")
    assert after is not None and after.colleague.get("jobTitle") == "CC-42"
    sources = {
        entry.field.key: entry.source
        for entry in colleague_field_sources(read_session, acme.org_id)
    }
    assert sources["jobTitle"] == COST_CENTRE

    reset = client.post(
        "/admin/identity/field-mapping/reset", data={"csrf_token": csrf, "field": "jobTitle"}
    )

    assert reset.status_code == 303
    back = view.user("bob@example.test")
    assert back is not None and back.colleague.get("jobTitle") == "Engineer"


def test_a_preview_cannot_read_another_organisations_user(
    client: FlaskClient, engine: Engine, acme: Provisioned, globex: Provisioned
) -> None:
    stranger = provision_user(globex, "eve", title="Spy")
    csrf = sign_in(client, engine, acme.org_id, "ada@example.test")

    response = client.post(
        "/admin/identity/field-mapping",
        data={
            "csrf_token": csrf,
            "field": "jobTitle",
            "source": "title",
            "user": stranger,
            "action": "preview",
        },
    )

    assert response.status_code == 400 and "This user is not provisioned" in response.text
    assert "Spy" not in response.text
