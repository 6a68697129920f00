"""Contacts and organisations in the Kinabase model: the built-in collections, designation,
finding records by address, duplicates, and isolation between organisations."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation
from kinabase.collections import Collection, Field, FieldType, Record
from kinabase.contacts import (
    DOMAIN,
    EMAIL,
    create_contact,
    create_organisation_record,
    designate_collections,
    designated_collections,
    find_records_by_address,
    linked_organisations,
    normalise_domain,
    set_contact_emails,
)
from kinabase.errors import DuplicateRecord, InvalidName, InvalidSetting, NotDesignated, NotFound


def test_a_new_organisation_has_contacts_and_organisations_designated(session: Session) -> None:
    org_id = create_organisation(session, "Acme").id

    designated = designated_collections(session, org_id)

    assert designated.contacts is not None and designated.contacts.name == "Contacts"
    assert designated.organisations is not None
    assert designated.organisations.name == "Organisations"


def test_contacts_are_found_by_any_address_ignoring_case_in_their_organisation_only(
    session: Session,
) -> None:
    acme = create_organisation(session, "Acme").id
    globex = create_organisation(session, "Globex").id
    ada = create_contact(session, acme, name="Ada", email="Ada@Engines.example")
    set_contact_emails(session, ada, ["Ada@Engines.example", "ÉMILE@lovelace.example"])
    create_contact(session, globex, name="Other Ada", email="ada@engines.example")
    contacts = designated_collections(session, acme).contacts
    assert contacts is not None

    found = find_records_by_address(
        session,
        acme,
        contacts.id,
        EMAIL,
        ["ADA@engines.EXAMPLE", "émile@LOVELACE.example", "x@y.z"],
    )

    assert {key: [r.id for r in records] for key, records in found.items()} == {
        "ADA@engines.EXAMPLE": [ada.id],
        "émile@LOVELACE.example": [ada.id],
    }


def test_a_duplicate_address_or_domain_is_refused(session: Session) -> None:
    org_id = create_organisation(session, "Acme").id
    engines = create_organisation_record(session, org_id, name="Engines", domain="engines.example")
    create_contact(
        session, org_id, name="Ada", email="ada@engines.example", organisation_id=engines.id
    )

    with pytest.raises(DuplicateRecord, match=r"Ada already has the address ADA@ENGINES\.example"):
        create_contact(session, org_id, name="Ada 2", email="ADA@ENGINES.example")
    with pytest.raises(DuplicateRecord, match=r"Engines already has the domain engines\.example"):
        create_organisation_record(session, org_id, name="Copy", domain="Engines.Example")


def test_a_contact_links_only_to_its_organisations_records(session: Session) -> None:
    acme = create_organisation(session, "Acme").id
    globex = create_organisation(session, "Globex").id
    theirs = create_organisation_record(session, globex, name="Theirs", domain=None)
    ours = create_organisation_record(session, acme, name="Ours", domain="ours.example")

    with pytest.raises(NotFound):
        create_contact(session, acme, name="Eve", email="eve@x.example", organisation_id=theirs.id)
    contact = create_contact(
        session, acme, name="Bo", email="bo@ours.example", organisation_id=ours.id
    )
    contacts = designated_collections(session, acme).contacts
    assert contacts is not None
    assert linked_organisations(session, contacts.id, [contact.id]) == {contact.id: ours}


@pytest.mark.parametrize("raw", ["", "localhost", "-x.example", "a..b", "x.123", "a b.example"])
def test_bad_domains_are_refused(raw: str) -> None:
    with pytest.raises(InvalidName):
        normalise_domain(raw)


def test_international_domains_are_kept_as_punycode() -> None:
    assert normalise_domain(" Bücher.Example. ") == "xn--bcher-kva.example"


def test_designating_a_collection_indexes_its_records(session: Session) -> None:
    org_id = create_organisation(session, "Acme").id
    people = Collection(org_id=org_id, slug="people", name="People")
    session.add(people)
    session.flush()
    session.add(Field(collection_id=people.id, key="mail", name="Mail", type=FieldType.EMAIL))
    record = Record(
        org_id=org_id, collection_id=people.id, data={"name": "Kim", "mail": "K@x.example"}
    )
    session.add(record)
    session.flush()

    designate_collections(session, org_id, contacts=people, organisations=None)

    assert find_records_by_address(session, org_id, people.id, EMAIL, ["k@X.example"]) == {
        "k@X.example": [record]
    }
    with pytest.raises(NotDesignated):
        create_organisation_record(session, org_id, name="X", domain=None)
    with pytest.raises(InvalidSetting, match="has no domain field"):
        designate_collections(session, org_id, contacts=None, organisations=people)
    assert find_records_by_address(session, org_id, people.id, DOMAIN, ["x.example"]) == {}


def test_another_organisations_collection_cannot_be_designated(session: Session) -> None:
    acme = create_organisation(session, "Acme").id
    globex = create_organisation(session, "Globex").id
    theirs = designated_collections(session, globex).contacts

    with pytest.raises(InvalidSetting, match="belongs to another organisation"):
        designate_collections(session, acme, contacts=theirs, organisations=None)
