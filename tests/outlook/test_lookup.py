"""Matching an email's addresses: colleagues, contacts by any of their addresses ignoring case,
organisations by domain except free-mail and the organisation's own domains."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kinabase.activities import ActivityType, add_activity
from kinabase.contacts import designated_collections
from kinabase.files import get_record
from kinabase.roles import PermissionLevel, create_role, grant_role, set_permission
from tests.outlook.conftest import Crm, World


def _lookup(world: World, *addresses: tuple[str, str], **body: Any) -> list[dict[str, Any]]:
    response = world.call(
        "POST",
        "/lookup",
        world.acme.directory["grace"],
        json={
            "addresses": [{"email": e, "name": "", "role": role} for e, role in addresses],
            **body,
        },
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json["addresses"]
    return found


def test_a_contact_is_found_by_any_of_its_addresses_in_any_case(world: World, crm: Crm) -> None:
    by_main, by_other = _lookup(
        world, ("ADA@engines.EXAMPLE", "from"), ("Countess@Lovelace.example", "to")
    )

    for match in (by_main, by_other):
        assert [c["id"] for c in match["contacts"]] == [crm.contacts["ada"]]
        assert match["contacts"][0]["emails"] == [
            "Ada@Engines.example",
            "countess@lovelace.example",
        ]
        assert match["contacts"][0]["organisation"] == {
            "id": crm.organisations["engines"],
            "name": "Analytical Engines",
        }
        assert match["suggestedContact"] is None
    assert by_main["domainKind"] == "organisation"
    assert by_main["organisation"]["id"] == crm.organisations["engines"]
    assert by_main["organisation"]["domains"] == ["engines.example"]
    # lovelace.example is no organisation's domain.
    assert by_other["organisation"] is None


def test_several_addresses_each_get_their_matches_once(world: World, crm: Crm) -> None:
    found = _lookup(
        world,
        ("charles@engines.example", "from"),
        ("grace@contoso.test", "to"),
        ("newcomer@engines.example", "cc"),
        ("Charles@Engines.example", "cc"),  # the sender again, in another case
        ("nobody@elsewhere.example", "bcc"),
    )

    assert [m["email"] for m in found] == [
        "charles@engines.example",
        "grace@contoso.test",
        "newcomer@engines.example",
        "nobody@elsewhere.example",
    ]
    charles, grace, newcomer, nobody = found
    assert [c["name"] for c in charles["contacts"]] == ["Charles Babbage"]
    assert grace["colleague"]["collection"] == "colleagues"
    assert grace["colleague"]["name"] == "Grace Acme"
    assert grace["contacts"] == [] and grace["suggestedContact"] is None
    # Someone new at a known organisation: no contact, the organisation, a suggestion linked to it.
    assert newcomer["contacts"] == []
    assert newcomer["organisation"]["name"] == "Analytical Engines"
    assert newcomer["suggestedContact"] == {
        "name": "newcomer",
        "email": "newcomer@engines.example",
        "organisationId": crm.organisations["engines"],
    }
    # No match at all.
    assert nobody["contacts"] == [] and nobody["organisation"] is None
    assert nobody["colleague"] is None and nobody["domainKind"] == "organisation"
    assert nobody["suggestedContact"]["organisationId"] is None


def test_free_mail_domains_never_match_an_organisation(world: World, crm: Crm) -> None:
    # Even an organisation record that has gmail.com among its domains is not matched by it.
    with world.writing() as session:
        record = get_record(session, world.acme.org_id, crm.organisations["engines"])
        record.data = {**record.data, "domains": ["engines.example", "gmail.com"]}
        from kinabase.contacts import index_record  # noqa: PLC0415

        index_record(session, record)
        session.commit()

    bob, stranger = _lookup(world, ("bob@gmail.com", "from"), ("x@mail.gmail.com", "to"))

    assert bob["domainKind"] == "freeMail" and bob["organisation"] is None
    assert [c["name"] for c in bob["contacts"]] == ["Bob Gmail"]
    assert stranger["domainKind"] == "freeMail" and stranger["organisation"] is None
    assert stranger["suggestedContact"]["organisationId"] is None


def test_the_organisations_own_domain_never_matches_an_organisation(world: World) -> None:
    response = world.call(
        "POST",
        "/organisations",
        world.acme.directory["grace"],
        json={"name": "Ourselves", "domain": "contoso.test"},
    )
    assert response.status_code == 400
    assert "your own organisation's domain" in response.json["fields"]["domain"][0]

    (unknown_colleague,) = _lookup(world, ("shared-mailbox@contoso.test", "to"))

    assert unknown_colleague["domainKind"] == "own"
    assert unknown_colleague["organisation"] is None
    assert unknown_colleague["colleague"] is None


def test_another_organisations_records_are_never_matched(world: World, crm: Crm) -> None:
    response = world.call(
        "POST",
        "/lookup",
        world.globex.directory["grace"],
        json={
            "addresses": [
                {"email": "ada@engines.example", "role": "from"},
                {"email": "grace@contoso.test", "role": "to"},
            ]
        },
    )

    assert response.status_code == 200, response.text
    ada, acme_grace = response.json["addresses"]
    assert ada["contacts"] == [] and ada["organisation"] is None
    assert acme_grace["colleague"] is None


def test_recent_activities_of_the_matched_records_come_newest_first(world: World, crm: Crm) -> None:
    with world.writing() as session:
        ada = get_record(session, world.acme.org_id, crm.contacts["ada"])
        engines = get_record(session, world.acme.org_id, crm.organisations["engines"])
        for day, (record, text) in enumerate(
            [(ada, "first call"), (engines, "contract signed"), (ada, "second call")], start=1
        ):
            add_activity(
                session,
                record,
                ActivityType.CALL,
                content=text,
                timestamp=datetime(2026, 11, day, tzinfo=UTC),
                author_id=world.acme.user_ids["grace"],
            )
        session.commit()

    (ada_match,) = _lookup(world, ("ada@engines.example", "from"))

    assert [a["content"] for a in ada_match["activities"]] == [
        "second call",
        "contract signed",
        "first call",
    ]
    assert ada_match["activities"][0]["author"]["name"] == "Grace Acme"
    assert ada_match["activities"][0]["type"] == "call"


def test_collections_the_user_cannot_view_are_not_searched(world: World, crm: Crm) -> None:
    with world.writing() as session:
        contacts = designated_collections(session, world.acme.org_id).contacts
        assert contacts is not None
        sales = create_role(session, world.acme.org_id, "Sales")
        set_permission(session, sales, contacts.id, PermissionLevel.VIEW)
        session.commit()

    (ada,) = _lookup(world, ("ada@engines.example", "from"))

    assert ada["contacts"] == []  # Grace holds no role that names the contacts collection
    assert ada["organisation"] is not None

    with world.writing() as session:
        grant_role(session, world.acme.user_ids["grace"], sales)
        session.commit()
    (ada,) = _lookup(world, ("ada@engines.example", "from"))
    assert [c["id"] for c in ada["contacts"]] == [crm.contacts["ada"]]


def test_bad_lookups_are_refused_with_the_fields(world: World) -> None:
    grace = world.acme.directory["grace"]

    response = world.call("POST", "/lookup", grace, json={"addresses": [{"email": "nope"}]})

    assert response.status_code == 400
    assert response.json["message"] == "Some fields are not valid."
    assert response.json["fields"]["addresses"]["0"]["email"] == ["Not a valid email address."]
    assert response.json["fields"]["addresses"]["0"]["role"] == ["Missing data for required field."]
    assert world.call("POST", "/lookup", grace, data="[1]").status_code == 400
    assert world.call("POST", "/lookup", grace, json={"addresses": []}).status_code == 400


def test_the_lookup_says_where_the_message_is_logged_already(world: World, crm: Crm) -> None:
    grace = world.acme.directory["grace"]
    body = {
        "internetMessageId": "<m1@engines.example>",
        "sender": {"email": "ada@engines.example", "name": "Ada"},
        "recipients": [{"email": "grace@contoso.test", "name": "Grace"}],
        "timestamp": "2026-11-30T09:15:00Z",
        "content": "Hello",
    }
    assert world.call("POST", "/emails", grace, json=body).status_code == 201

    response = world.call(
        "POST",
        "/lookup",
        grace,
        json={
            "internetMessageId": "<m1@engines.example>",
            "addresses": [{"email": "ada@engines.example", "role": "from"}],
        },
    )

    assert response.json["logged"] == {"recordIds": [crm.contacts["ada"]]}


def test_a_user_who_can_see_neither_contacts_nor_organisations_is_refused(
    world: World, crm: Crm
) -> None:
    with world.writing() as session:
        designated = designated_collections(session, world.acme.org_id)
        assert designated.contacts is not None and designated.organisations is not None
        sales = create_role(session, world.acme.org_id, "Sales")
        for collection in (designated.contacts, designated.organisations):
            set_permission(session, sales, collection.id, PermissionLevel.VIEW)
        session.commit()

    response = world.call(
        "POST",
        "/lookup",
        world.acme.directory["grace"],
        json={"addresses": [{"email": "ada@engines.example", "role": "from"}]},
    )

    assert response.status_code == 403
    assert response.json == {
        "message": "You cannot see contacts or organisations: ask an Administrator for access."
    }
