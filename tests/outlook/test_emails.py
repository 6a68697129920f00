"""Logging an email: on the matched contacts by default or on chosen records, once per record
whatever the number of attempts, and only where the user may edit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from kinabase.activities import Activity
from kinabase.colleagues import colleague_record
from kinabase.contacts import designated_collections
from kinabase.roles import PermissionLevel, create_role, set_permission
from tests.outlook.conftest import Crm, World

MESSAGE_ID = "<CAF123@mail.engines.example>"


def _email(**changes: Any) -> dict[str, Any]:
    return {
        "internetMessageId": MESSAGE_ID,
        "subject": "Engine order",
        "sender": {"email": "Ada@engines.example", "name": "Ada Lovelace"},
        "recipients": [
            {"email": "grace@contoso.test", "name": "Grace Acme", "kind": "to"},
            {"email": "charles@ENGINES.example", "name": "Charles", "kind": "cc"},
            {"email": "stranger@elsewhere.example", "name": "", "kind": "bcc"},
        ],
        "timestamp": "2026-11-30T09:15:00+01:00",
        "content": "Hi Grace, the order is attached.",
        **changes,
    }


def _activities(world: World) -> list[Activity]:
    with world.writing() as session:
        return list(session.scalars(select(Activity).order_by(Activity.id)))


def test_an_email_is_logged_on_the_matched_contacts_by_default(world: World, crm: Crm) -> None:
    response = world.call("POST", "/emails", world.acme.directory["grace"], json=_email())

    assert response.status_code == 201, response.text
    logged = response.json["activities"]
    assert [a["recordId"] for a in logged] == [crm.contacts["ada"], crm.contacts["charles"]]
    assert response.json["created"] == [a["id"] for a in logged]
    assert response.json["existing"] == []
    first = logged[0]
    assert first["type"] == "email"
    assert first["subject"] == "Engine order"
    assert first["sender"] == {"email": "Ada@engines.example", "name": "Ada Lovelace"}
    assert first["recipients"][1] == {
        "email": "charles@ENGINES.example",
        "name": "Charles",
        "kind": "cc",
    }
    assert first["timestamp"] == "2026-11-30T08:15:00+00:00"
    assert first["internetMessageId"] == MESSAGE_ID
    assert first["author"] == {"id": world.acme.user_ids["grace"], "name": "Grace Acme"}
    assert first["content"] == "Hi Grace, the order is attached."


def test_logging_the_same_email_again_creates_nothing(world: World, crm: Crm) -> None:
    grace = world.acme.directory["grace"]
    first = world.call("POST", "/emails", grace, json=_email())
    again = world.call("POST", "/emails", grace, json=_email(subject="Edited later"))

    assert again.status_code == 200
    assert again.json["created"] == []
    assert again.json["existing"] == first.json["created"]
    assert again.json["activities"][0]["subject"] == "Engine order"
    assert len(_activities(world)) == 2


def test_logging_on_one_more_record_adds_only_that_one(world: World, crm: Crm) -> None:
    grace = world.acme.directory["grace"]
    world.call("POST", "/emails", grace, json=_email())
    engines = crm.organisations["engines"]

    response = world.call(
        "POST", "/emails", grace, json=_email(recordIds=[crm.contacts["ada"], engines])
    )

    assert response.status_code == 201
    assert [a["recordId"] for a in response.json["activities"]] == [crm.contacts["ada"], engines]
    assert len(response.json["created"]) == 1 and len(response.json["existing"]) == 1
    assert len(_activities(world)) == 3


def test_two_loggers_at_once_make_one_activity_per_record(world: World, crm: Crm) -> None:
    grace = world.acme.directory["grace"]
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda _: world.call("POST", "/emails", grace, json=_email()), range(4))
        )

    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len(_activities(world)) == 2


def test_an_email_can_be_logged_on_a_colleague_record(world: World, crm: Crm) -> None:
    with world.writing() as session:
        record_id = colleague_record(session, world.acme.org_id, world.acme.user_ids["grace"]).id

    response = world.call(
        "POST", "/emails", world.acme.directory["grace"], json=_email(recordIds=[record_id])
    )

    assert response.status_code == 201
    assert response.json["activities"][0]["recordId"] == record_id


def test_no_matched_contact_and_no_records_chosen_is_refused(world: World, crm: Crm) -> None:
    body = _email(
        sender={"email": "someone@elsewhere.example", "name": ""},
        recipients=[{"email": "grace@contoso.test", "name": "", "kind": "to"}],
    )

    response = world.call("POST", "/emails", world.acme.directory["grace"], json=body)

    assert response.status_code == 422
    assert response.json == {
        "message": "No contact matches the sender or recipients; choose records to log on."
    }
    assert _activities(world) == []


def test_another_organisations_record_is_not_found_and_nothing_is_logged(
    world: World, crm: Crm
) -> None:
    body = _email(recordIds=[crm.contacts["bob"]])

    response = world.call("POST", "/emails", world.globex.directory["grace"], json=body)

    assert response.status_code == 404
    assert response.json == {"message": f"There is no record {crm.contacts['bob']}."}
    listing = world.call(
        "GET", f"/records/{crm.contacts['ada']}/activities", world.globex.directory["grace"]
    )
    assert listing.status_code == 404
    assert _activities(world) == []


def test_a_record_the_user_cannot_edit_refuses_the_whole_log(world: World, crm: Crm) -> None:
    with world.writing() as session:
        organisations = designated_collections(session, world.acme.org_id).organisations
        assert organisations is not None
        viewers = create_role(session, world.acme.org_id, "Viewers")
        set_permission(session, viewers, organisations.id, PermissionLevel.VIEW)
        session.commit()
    body = _email(recordIds=[crm.contacts["ada"], crm.organisations["engines"]])

    response = world.call("POST", "/emails", world.acme.directory["grace"], json=body)

    assert response.status_code == 403
    assert "cannot log activities" in response.json["message"]
    assert _activities(world) == []


def test_bad_emails_are_refused_with_their_fields(world: World, crm: Crm) -> None:
    grace = world.acme.directory["grace"]
    body = _email(timestamp="2026-11-30T09:15:00", internetMessageId=" <x> ", recordIds=[])
    del body["sender"]

    response = world.call("POST", "/emails", grace, json=body)

    assert response.status_code == 400
    assert set(response.json["fields"]) == {
        "timestamp",
        "internetMessageId",
        "recordIds",
        "sender",
    }
    assert _activities(world) == []


def test_recent_activities_of_a_record(world: World, crm: Crm) -> None:
    grace = world.acme.directory["grace"]
    for number in range(3):
        world.call(
            "POST",
            "/emails",
            grace,
            json=_email(
                internetMessageId=f"<m{number}@x>",
                timestamp=f"2026-11-2{number}T10:00:00Z",
                subject=f"Number {number}",
            ),
        )

    response = world.call("GET", f"/records/{crm.contacts['ada']}/activities?limit=2", grace)

    assert response.status_code == 200
    assert [a["subject"] for a in response.json["activities"]] == ["Number 2", "Number 1"]
    assert (
        world.call("GET", f"/records/{crm.contacts['ada']}/activities?limit=0", grace).status_code
        == 400
    )
    with world.writing() as session:
        count = session.scalar(select(func.count()).select_from(Activity))
    assert count == 6
