"""Adding contacts and organisations from the task pane: duplicates, links, domain rules,
access and designation."""

from __future__ import annotations

from sqlalchemy import select

from kinabase.collections import Record
from kinabase.contacts import designate_collections, designated_collections
from kinabase.roles import PermissionLevel, create_role, set_permission
from tests.outlook.conftest import Crm, World


def _records(world: World, org_id: int) -> list[Record]:
    with world.writing() as session:
        return list(session.scalars(select(Record).where(Record.org_id == org_id)))


def test_a_contact_is_added_and_linked_to_its_organisation(world: World, crm: Crm) -> None:
    grace = world.acme.directory["grace"]
    engines = crm.organisations["engines"]

    response = world.call(
        "POST",
        "/contacts",
        grace,
        json={
            "name": " Mary Somerville ",
            "email": "mary@engines.example",
            "organisationId": engines,
        },
    )

    assert response.status_code == 201, response.text
    assert response.json["name"] == "Mary Somerville"
    assert response.json["collection"] == "contacts"
    assert response.json["emails"] == ["mary@engines.example"]
    assert response.json["organisation"] == {"id": engines, "name": "Analytical Engines"}
    (match,) = world.call(
        "POST",
        "/lookup",
        grace,
        json={"addresses": [{"email": "MARY@engines.example", "role": "to"}]},
    ).json["addresses"]
    assert [c["id"] for c in match["contacts"]] == [response.json["id"]]


def test_a_second_contact_with_the_same_address_in_any_case_is_refused(
    world: World, crm: Crm
) -> None:
    before = len(_records(world, world.acme.org_id))

    response = world.call(
        "POST",
        "/contacts",
        world.acme.directory["grace"],
        json={"name": "Ada again", "email": "COUNTESS@lovelace.EXAMPLE"},
    )

    assert response.status_code == 409
    assert response.json["message"] == (
        "Ada Lovelace already has the address COUNTESS@lovelace.EXAMPLE."
    )
    assert response.json["duplicate"]["id"] == crm.contacts["ada"]
    assert len(_records(world, world.acme.org_id)) == before


def test_a_contact_cannot_link_to_another_organisations_record(world: World, crm: Crm) -> None:
    response = world.call(
        "POST",
        "/contacts",
        world.globex.directory["grace"],
        json={
            "name": "Eve",
            "email": "eve@spy.example",
            "organisationId": crm.organisations["engines"],
        },
    )

    assert response.status_code == 404
    # Globex has its colleagues' records only: no contact was written.
    assert all(r.user_id is not None for r in _records(world, world.globex.org_id))


def test_a_contact_cannot_link_to_a_record_that_is_no_organisation(world: World, crm: Crm) -> None:
    response = world.call(
        "POST",
        "/contacts",
        world.acme.directory["grace"],
        json={"name": "Eve", "email": "eve@spy.example", "organisationId": crm.contacts["ada"]},
    )

    assert response.status_code == 404


def test_bad_contacts_are_refused_with_their_fields(world: World) -> None:
    grace = world.acme.directory["grace"]

    response = world.call("POST", "/contacts", grace, json={"name": "", "email": "not-an-address"})

    assert response.status_code == 400
    assert set(response.json["fields"]) == {"name", "email"}
    blank = world.call("POST", "/contacts", grace, json={"name": "   ", "email": "a@b.example"})
    assert blank.status_code == 400
    assert blank.json == {"message": "The contact name cannot be blank"}


def test_an_organisation_is_added_with_its_domain_once(world: World) -> None:
    grace = world.acme.directory["grace"]

    created = world.call(
        "POST",
        "/organisations",
        grace,
        json={"name": "Difference Ltd", "domain": "Difference.EXAMPLE."},
    )
    again = world.call(
        "POST", "/organisations", grace, json={"name": "Copy", "domain": "difference.example"}
    )
    no_domain = world.call("POST", "/organisations", grace, json={"name": "Nameless"})

    assert created.status_code == 201, created.text
    assert created.json["domains"] == ["difference.example"]
    assert created.json["collection"] == "organisations"
    assert again.status_code == 409
    assert again.json["duplicate"]["id"] == created.json["id"]
    assert no_domain.status_code == 201 and no_domain.json["domains"] == []


def test_free_mail_domains_cannot_make_an_organisation(world: World) -> None:
    response = world.call(
        "POST",
        "/organisations",
        world.acme.directory["grace"],
        json={"name": "Google Mail users", "domain": "gmail.com"},
    )

    assert response.status_code == 400
    assert response.json["fields"]["domain"] == [
        "gmail.com is a free email provider's domain; it cannot identify an organisation."
    ]


def test_users_without_edit_access_cannot_add_contacts(world: World) -> None:
    with world.writing() as session:
        contacts = designated_collections(session, world.acme.org_id).contacts
        assert contacts is not None
        readers = create_role(session, world.acme.org_id, "Readers")
        set_permission(session, readers, contacts.id, PermissionLevel.VIEW)
        session.commit()

    response = world.call(
        "POST",
        "/contacts",
        world.acme.directory["grace"],
        json={"name": "X", "email": "x@y.example"},
    )

    assert response.status_code == 403
    assert response.json == {
        "message": "You cannot add contacts: ask an Administrator for edit access."
    }


def test_without_a_designated_collection_the_pane_is_told_to_set_up(world: World) -> None:
    with world.writing() as session:
        designate_collections(session, world.acme.org_id, contacts=None, organisations=None)
        session.commit()
    grace = world.acme.directory["grace"]

    response = world.call("POST", "/contacts", grace, json={"name": "X", "email": "x@y.example"})
    me = world.call("GET", "/me", grace)

    assert response.status_code == 409
    assert response.json["setupRequired"] is True
    assert me.json["collections"] == {"contacts": None, "organisations": None}
