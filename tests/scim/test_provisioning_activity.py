"""The provisioning activity records what each SCIM write did (kinabase.provisioning_activity).

Through the SCIM endpoints as a client sends them: writes that change something are recorded in
their own transaction, refusals after the rollback with a reason an Administrator can act on,
pending users as pending, reads never; each entry names the client leniencies it needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from kinabase.database import make_sessionmakers
from kinabase.provisioning_activity import ActivityFilter, Outcome, list_activity
from tests.conftest import Provisioned, provision_organisation
from tests.scim.test_flat_costs import statements_for
from tests.scim.test_oauth_client_credentials import access_token, new_client
from tests.scim_client import GROUP_SCHEMA, PATCH_OP, USER_SCHEMA, ScimClient, entra_user

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def activity(engine: Engine, org_id: int, **shown: Any) -> list[dict[str, Any]]:
    """The organisation's entries, oldest first, as plain values."""
    read_sessions, _ = make_sessionmakers(engine)
    with read_sessions() as session:
        rows = list_activity(session, org_id, ActivityFilter(**shown), limit=1000)
        return [
            {
                "method": row.method,
                "resource_type": row.resource_type,
                "resource_id": row.resource_id,
                "name": row.name,
                "outcome": row.outcome,
                "status": row.status,
                "reason": row.reason,
                "detail": row.detail,
                "leniencies": row.leniencies,
                "bulk": row.bulk,
                "credential": row.credential,
                "request_id": row.request_id,
            }
            for row in reversed(rows)
        ]


def _user(user_name: str, **attributes: Any) -> dict[str, Any]:
    return {"schemas": [USER_SCHEMA], "userName": user_name, **attributes}


def test_a_create_patch_and_delete_are_each_one_entry(acme: Provisioned, engine: Engine) -> None:
    created = acme.scim.post("/Users", entra_user("ada@acme.test", "Ada", "Lovelace", "ada"))
    user_id = created.json["id"]
    patched = acme.scim.patch(
        f"/Users/{user_id}", [{"op": "replace", "path": "title", "value": "Analyst"}]
    )
    deleted = acme.scim.delete(f"/Users/{user_id}")
    assert [r.status_code for r in (created, patched, deleted)] == [201, 200, 204]

    entries = activity(engine, acme.org_id)
    assert [(e["method"], e["status"], e["outcome"]) for e in entries] == [
        ("POST", 201, "succeeded"),
        ("PATCH", 200, "succeeded"),
        ("DELETE", 204, "succeeded"),
    ]
    assert {(e["resource_type"], e["resource_id"], e["name"]) for e in entries} == {
        ("User", user_id, "ada@acme.test")
    }
    first = entries[0]
    assert first["credential"].startswith('token "tests"')
    assert first["request_id"] == created.headers["X-Request-Id"]
    assert first["reason"] is None and first["detail"] is None and not first["bulk"]


def test_a_patch_that_changes_nothing_and_reads_are_not_recorded(
    acme: Provisioned, engine: Engine
) -> None:
    user_id = acme.scim.post("/Users", _user("ada@acme.test", title="Analyst")).json["id"]
    same = acme.scim.patch(
        f"/Users/{user_id}", [{"op": "replace", "path": "title", "value": "Analyst"}]
    )
    bad_filter = acme.scim.filter("/Users", 'userName eq "ada@acme.test" and')
    bad_search = acme.scim.post("/Users/.search", {"filter": "userName zz 1"})
    found = acme.scim.post("/.search", {"filter": 'userName eq "ada@acme.test"'})
    assert (same.status_code, bad_filter.status_code, bad_search.status_code) == (200, 400, 400)
    assert bad_filter.json["scimType"] == "invalidFilter"
    assert found.status_code == 200

    assert [e["method"] for e in activity(engine, acme.org_id)] == ["POST"]


def test_a_user_refused_for_want_of_a_seat_says_so(engine: Engine, app: Any) -> None:
    small = provision_organisation(engine, app.test_client(), seats=1)
    assert small.scim.post("/Users", _user("ada@acme.test")).status_code == 201
    refused = small.scim.post("/Users", _user("bob@acme.test"))
    assert refused.status_code == 403

    [entry] = activity(engine, small.org_id, outcome=Outcome.REFUSED)
    assert (entry["method"], entry["resource_type"], entry["name"]) == (
        "POST",
        "User",
        "bob@acme.test",
    )
    assert (entry["status"], entry["reason"]) == (403, "no-seat")
    assert entry["detail"] == "licence allocation exhausted: 1 of 1 seats in use"
    assert entry["resource_id"] is None  # nothing was stored
    assert small.scim.filter("/Users", 'userName eq "bob@acme.test"').json["totalResults"] == 0
    assert [e["name"] for e in activity(engine, small.org_id, outcome=Outcome.SUCCEEDED)] == [
        "ada@acme.test"
    ]


def test_an_email_owned_by_another_user_is_refused_with_that_reason(
    acme: Provisioned, engine: Engine
) -> None:
    assert acme.scim.post("/Users", _user("one@acme.test")).status_code == 201
    other = acme.scim.post("/Users", _user("two@acme.test")).json["id"]
    response = acme.scim.patch(
        f"/Users/{other}",
        [{"op": "replace", "path": 'emails[type eq "work"].value', "value": "one@acme.test"}],
    )
    assert response.status_code == 409

    [entry] = activity(engine, acme.org_id, outcome=Outcome.REFUSED)
    assert (entry["method"], entry["resource_id"], entry["name"]) == (
        "PATCH",
        other,
        "two@acme.test",
    )
    assert (entry["status"], entry["reason"]) == (409, "email-in-use")
    assert "one@acme.test" in entry["detail"]
    # The lenient value creation was applied before the refusal, and is reported with it.
    assert entry["leniencies"] == "filtered-value-created"


def test_a_user_without_an_email_is_pending_not_refused(acme: Provisioned, engine: Engine) -> None:
    user_id = acme.scim.post("/Users", _user("jdoe")).json["id"]

    [entry] = activity(engine, acme.org_id)
    assert (entry["outcome"], entry["status"], entry["reason"]) == ("pending", 201, "no-email")
    assert (entry["resource_id"], entry["name"]) == (user_id, "jdoe")
    assert "no email address" in entry["detail"]


def test_client_errors_are_refusals_with_the_scim_detail(acme: Provisioned, engine: Engine) -> None:
    missing = acme.scim.patch(
        "/Users/no-such-id", [{"op": "replace", "path": "title", "value": "x"}]
    )
    invalid = acme.scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "x", "active": 3})
    group = acme.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Sales"})
    wrong_version = acme.scim.delete(f"/Groups/{group.json['id']}", headers={"If-Match": 'W/"99"'})
    assert (missing.status_code, invalid.status_code, wrong_version.status_code) == (404, 400, 412)

    entries = activity(engine, acme.org_id, outcome=Outcome.REFUSED)
    assert [(e["method"], e["resource_type"], e["status"], e["name"]) for e in entries] == [
        ("PATCH", "User", 404, None),
        ("POST", "User", 400, "x"),
        ("DELETE", "Group", 412, "Sales"),
    ]
    assert entries[1]["reason"] == "invalidValue"
    assert "active" in entries[1]["detail"]


def test_entra_leniencies_are_named(acme: Provisioned, engine: Engine) -> None:
    user_id = acme.scim.post("/Users", entra_user("ada@acme.test", "Ada", "L", "ada")).json["id"]
    body = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "value": {"name.givenName": "Augusta"}},
        ],
    }
    assert acme.scim.request("PATCH", f"/Users/{user_id}", body).status_code == 200
    lower_case = {
        "schemas": [PATCH_OP],
        "operations": [{"op": "replace", "path": "title", "value": "C"}],
    }
    assert acme.scim.request("PATCH", f"/Users/{user_id}", lower_case).status_code == 200
    manager = acme.scim.post("/Users", _user("boss@acme.test")).json["id"]
    bare = acme.scim.patch(
        f"/Users/{user_id}", [{"op": "add", "path": "manager", "value": manager}]
    )
    assert bare.status_code == 200

    leniencies = [e["leniencies"] for e in activity(engine, acme.org_id)]
    assert leniencies == [
        "",
        "patch-op-case,pathless-dotted-keys,string-boolean",
        "patch-member-case",
        "",
        "string-as-complex,unqualified-extension-attribute",
    ]


def test_bulk_records_one_entry_per_operation(acme: Provisioned, engine: Engine) -> None:
    existing = acme.scim.post("/Users", _user("ada@acme.test")).json["id"]
    response = acme.scim.post(
        "/Bulk",
        {
            "schemas": [BULK_REQUEST],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "b", "data": _user("bob@acme.test")},
                {"method": "POST", "path": "/Users", "bulkId": "a", "data": _user("ADA@acme.test")},
                {"method": "PATCH", "path": f"/Users/{existing}",
                 "data": {"schemas": [PATCH_OP],
                          "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}},
                {"method": "DELETE", "path": "/Users/nobody"},
            ],
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert [op["status"] for op in response.json["Operations"]] == ["201", "409", "200", "404"]

    entries = [e for e in activity(engine, acme.org_id) if e["bulk"]]
    assert [(e["method"], e["status"], e["outcome"], e["name"]) for e in entries] == [
        ("POST", 201, "succeeded", "bob@acme.test"),
        ("POST", 409, "refused", "ADA@acme.test"),
        ("PATCH", 200, "succeeded", "ada@acme.test"),
        ("DELETE", 404, "refused", None),
    ]
    assert [e["leniencies"] for e in entries] == ["", "", "patch-op-case,string-boolean", ""]
    assert entries[1]["reason"] == "uniqueness"
    assert len({e["request_id"] for e in entries}) == 1


def test_a_bulk_request_refused_as_a_whole_is_one_entry(acme: Provisioned, engine: Engine) -> None:
    response = acme.scim.post("/Bulk", {"schemas": [BULK_REQUEST], "Operations": "nope"})
    assert response.status_code == 400

    [entry] = activity(engine, acme.org_id)
    assert (entry["method"], entry["resource_type"], entry["outcome"]) == (
        "POST",
        "Bulk",
        "refused",
    )


def test_each_organisation_sees_only_its_own_activity(
    acme: Provisioned, globex: Provisioned, engine: Engine
) -> None:
    acme.scim.post("/Users", _user("ada@acme.test"))
    globex.scim.post("/Users", _user("grace@globex.test"))
    globex.scim.delete("/Users/nobody")

    assert [e["name"] for e in activity(engine, acme.org_id)] == ["ada@acme.test"]
    assert [(e["name"], e["status"]) for e in activity(engine, globex.org_id)] == [
        ("grace@globex.test", 201),
        (None, 404),
    ]


@pytest.fixture
def doomed_entries(engine: Engine) -> Iterator[None]:
    """A database trigger that refuses the 'succeeded' entry of one user, so that the write's
    transaction fails at its commit, after the handler recorded it."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text(
                    "CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    "BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER doomed BEFORE INSERT ON provisioning_activity FOR EACH ROW "
                    "WHEN (NEW.name = 'doomed@acme.test' AND NEW.outcome = 'succeeded') "
                    "EXECUTE FUNCTION refuse_doomed()"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE TRIGGER doomed BEFORE INSERT ON provisioning_activity "
                    "WHEN NEW.name = 'doomed@acme.test' AND NEW.outcome = 'succeeded' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )
            )
    try:
        yield
    finally:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("DROP TRIGGER doomed ON provisioning_activity"))
                connection.execute(text("DROP FUNCTION refuse_doomed()"))
            else:
                connection.execute(text("DROP TRIGGER doomed"))


def test_the_entry_and_the_write_commit_together_or_not_at_all(
    acme: Provisioned, engine: Engine, doomed_entries: None, caplog: pytest.LogCaptureFixture
) -> None:
    response = acme.scim.post("/Users", _user("doomed@acme.test"))
    assert response.status_code == 500

    # The write went with its entry: no user, no succeeded entry; the failure is recorded.
    assert acme.scim.filter("/Users", 'userName eq "doomed@acme.test"').json["totalResults"] == 0
    [entry] = activity(engine, acme.org_id)
    assert (entry["outcome"], entry["status"], entry["name"]) == ("failed", 500, "doomed@acme.test")
    assert "refused by the test" not in (entry["detail"] or "")
    assert "unexpected error serving POST /scim/v2/Users" in caplog.text


@pytest.fixture
def doomed_commits(engine: Engine) -> Iterator[None]:
    """A commit that fails after everything was written: creating the user 'late@acme.test'
    also inserts a row that breaks a deferred foreign key, which the database checks at COMMIT,
    after the handler recorded the write."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE doomed_commits (ref INTEGER REFERENCES organisations (id) "
                "DEFERRABLE INITIALLY DEFERRED)"
            )
        )
        if engine.dialect.name == "postgresql":
            connection.execute(
                text(
                    "CREATE FUNCTION doom_commit() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    "BEGIN INSERT INTO doomed_commits VALUES (-1); RETURN NEW; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER late AFTER INSERT ON scim_users FOR EACH ROW "
                    "WHEN (NEW.user_name = 'late@acme.test') EXECUTE FUNCTION doom_commit()"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE TRIGGER late AFTER INSERT ON scim_users "
                    "WHEN NEW.user_name = 'late@acme.test' "
                    "BEGIN INSERT INTO doomed_commits VALUES (-1); END"
                )
            )
    try:
        yield
    finally:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("DROP TRIGGER late ON scim_users"))
                connection.execute(text("DROP FUNCTION doom_commit()"))
            else:
                connection.execute(text("DROP TRIGGER late"))
            connection.execute(text("DROP TABLE doomed_commits"))


def test_a_write_that_rolls_back_at_its_commit_leaves_no_succeeded_entry(
    acme: Provisioned, engine: Engine, doomed_commits: None, caplog: pytest.LogCaptureFixture
) -> None:
    response = acme.scim.post("/Users", _user("late@acme.test"))
    assert response.status_code == 500

    assert acme.scim.filter("/Users", 'userName eq "late@acme.test"').json["totalResults"] == 0
    [entry] = activity(engine, acme.org_id)
    assert (entry["outcome"], entry["status"], entry["name"]) == ("failed", 500, "late@acme.test")
    assert entry["request_id"] == response.headers["X-Request-Id"]
    assert "unexpected error serving POST /scim/v2/Users" in caplog.text


def test_a_recorded_write_costs_one_insert_in_its_own_transaction(
    app: Flask, acme: Provisioned
) -> None:
    user_id = acme.scim.post("/Users", _user("ada@acme.test")).json["id"]
    change = [{"op": "replace", "path": "title", "value": "Analyst"}]

    statements = statements_for(app, lambda: acme.scim.patch(f"/Users/{user_id}", change))
    touching = [s for s in statements if "provisioning_activity" in s]
    assert len(touching) == 1 and touching[0].lstrip().upper().startswith("INSERT")
    assert statements.index(touching[0]) > 0  # after the write's own statements, before COMMIT
    unchanged = statements_for(app, lambda: acme.scim.patch(f"/Users/{user_id}", change))
    assert not any("provisioning_activity" in s for s in unchanged)


def test_an_oauth_clients_writes_name_the_client(
    acme: Provisioned, engine: Engine, client: FlaskClient
) -> None:
    client_id, secret = new_client(engine, acme.org_id)
    scim = ScimClient(client, access_token(client, client_id, secret))

    assert scim.post("/Users", _user("ada@acme.test")).status_code == 201

    [entry] = activity(engine, acme.org_id)
    assert entry["credential"] == f'client "entra" ({client_id})'


def test_a_misspelt_extension_urn_is_named_on_every_request(
    acme: Provisioned, engine: Engine
) -> None:
    """Entra's known typo of the enterprise URN (`…:2.0User`) is noted each time, not only the
    first time the process resolves it (resolutions are remembered per process)."""
    user_id = acme.scim.post("/Users", _user("ada@acme.test")).json["id"]
    typo = "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"
    for department in ("Sales", "Research"):
        response = acme.scim.patch(
            f"/Users/{user_id}",
            [{"op": "replace", "path": f"{typo}:department", "value": department}],
        )
        assert response.status_code == 200, response.json

    for name in ("bob", "eve"):
        body = {**_user(f"{name}@acme.test"), typo: {"department": "Sales"}}
        body["schemas"] = [*body["schemas"], typo]
        assert acme.scim.post("/Users", body).status_code == 201

    leniencies = [e["leniencies"] for e in activity(engine, acme.org_id)]
    assert leniencies == ["", *["schema-uri-typo"] * 4]
