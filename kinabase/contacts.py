"""Contacts and organisations: the collections that hold the people and companies a team deals
with, and finding them by email address and by domain.

Every organisation gets two built-in collections, Contacts (Name, Emails, Phone, Job Title, and
Organisation, a link to an organisation record) and Organisations (Name, Domains, Website). An
Administrator may designate other collections instead (`designate_collections`): email
forwarding and the Outlook add-in read the designated ones.

A contact may have several addresses and an organisation several domains: the value of an
`email` or `domain` field is a string or a list of strings. Every address and domain of a record
is also kept, case-folded (`kinabase.names.fold_case`; domains in lower case), in the indexed
side table `record_addresses`, so that finding the contacts of an address is one indexed query
whatever the collection's size. The functions here keep it in step; a collection designated
later is indexed when it is designated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kinabase.base import Base
from kinabase.collections import Collection, Field, FieldType, Record, RecordLink
from kinabase.errors import DuplicateRecord, InvalidName, InvalidSetting, NotDesignated, NotFound
from kinabase.names import clean_name, fold_case

CONTACTS_SLUG = "contacts"
ORGANISATIONS_SLUG = "organisations"
EMAIL = "email"
DOMAIN = "domain"
# RFC 1035 labels joined by dots, at least two labels, the last alphabetic (IDNs as punycode).
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")

# (key, name, type, is_system)
DEFAULT_CONTACT_FIELDS: tuple[tuple[str, str, FieldType, bool], ...] = (
    ("name", "Name", FieldType.TEXT, True),
    ("emails", "Emails", FieldType.EMAIL, True),
    ("phone", "Phone", FieldType.PHONE, False),
    ("jobTitle", "Job Title", FieldType.TEXT, False),
    ("organisation", "Organisation", FieldType.LINKED_RECORD, True),
)
DEFAULT_ORGANISATION_FIELDS: tuple[tuple[str, str, FieldType, bool], ...] = (
    ("name", "Name", FieldType.TEXT, True),
    ("domains", "Domains", FieldType.DOMAIN, True),
    ("website", "Website", FieldType.TEXT, False),
)
_KIND_OF_TYPE = {FieldType.EMAIL: EMAIL, FieldType.DOMAIN: DOMAIN}


class CrmCollections(Base):
    """Which of the organisation's collections hold contacts and organisations (Administrators
    choose; the built-in ones at first)."""

    __tablename__ = "crm_collections"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    contacts_collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("collections.id", ondelete="SET NULL")
    )
    organisations_collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("collections.id", ondelete="SET NULL")
    )


class RecordAddress(Base):
    """An email address or domain of a record, case-folded, for finding records by it."""

    __tablename__ = "record_addresses"

    record_id: Mapped[int] = mapped_column(
        ForeignKey("records.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # "email" | "domain"
    value: Mapped[str] = mapped_column(String(320), primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer, ForeignKey("organisations.id", ondelete="CASCADE"))
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))


Index(
    "ix_record_addresses_lookup",
    RecordAddress.org_id,
    RecordAddress.kind,
    RecordAddress.value,
    RecordAddress.collection_id,
)


@dataclass(frozen=True)
class Designated:
    """The organisation's contacts and organisations collections (None: not designated)."""

    contacts: Collection | None
    organisations: Collection | None


def normalise_domain(raw: str) -> str:
    """A domain in lower case without surrounding dots or spaces; InvalidName if it is not one."""
    domain = raw.strip().strip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidName(f"{raw!r} is not a domain name") from None
    if not _DOMAIN.match(domain):
        raise InvalidName(f"{raw!r} is not a domain name")
    return domain


def domain_of(email: str) -> str | None:
    """The domain of an email address, normalised, or None when it has none that is valid."""
    if not _EMAIL.match(email.strip()):
        return None
    try:
        return normalise_domain(email.strip().rpartition("@")[2])
    except InvalidName:
        return None


def check_email(raw: str) -> str:
    """The address without surrounding spaces; InvalidName if it is not an address."""
    email = raw.strip()
    if not _EMAIL.match(email) or domain_of(email) is None:
        raise InvalidName(f"{raw!r} is not an email address")
    return email


def create_crm_collections(session: Session, org_id: int) -> Designated:
    """Create the built-in Contacts and Organisations collections and designate them."""
    organisations = _collection(
        session,
        org_id,
        slug=ORGANISATIONS_SLUG,
        name="Organisations",
        fields=DEFAULT_ORGANISATION_FIELDS,
        link_target=None,
    )
    contacts = _collection(
        session,
        org_id,
        slug=CONTACTS_SLUG,
        name="Contacts",
        fields=DEFAULT_CONTACT_FIELDS,
        link_target=organisations.id,
    )
    session.add(
        CrmCollections(
            org_id=org_id,
            contacts_collection_id=contacts.id,
            organisations_collection_id=organisations.id,
        )
    )
    session.flush()
    return Designated(contacts, organisations)


def _collection(
    session: Session,
    org_id: int,
    *,
    slug: str,
    name: str,
    fields: Sequence[tuple[str, str, FieldType, bool]],
    link_target: int | None,
) -> Collection:
    collection = Collection(org_id=org_id, slug=slug, name=name, is_system=True)
    session.add(collection)
    session.flush()
    session.add_all(
        Field(
            collection_id=collection.id,
            key=key,
            name=field_name,
            type=type_,
            is_system=system,
            target_collection_id=link_target if type_ is FieldType.LINKED_RECORD else None,
        )
        for key, field_name, type_, system in fields
    )
    session.flush()
    return collection


def designated_collections(session: Session, org_id: int) -> Designated:
    """The collections the organisation's Administrators designated (None where none is)."""
    settings = session.get(CrmCollections, org_id)
    if settings is None:
        return Designated(None, None)

    def get(collection_id: int | None) -> Collection | None:
        return None if collection_id is None else session.get(Collection, collection_id)

    return Designated(
        get(settings.contacts_collection_id), get(settings.organisations_collection_id)
    )


def find_collection(session: Session, org_id: int, id_or_slug: str) -> Collection:
    """The organisation's collection with this id or slug, or NotFound."""
    condition = (
        Collection.id == int(id_or_slug) if id_or_slug.isdigit() else Collection.slug == id_or_slug
    )
    collection = session.scalars(
        select(Collection).where(Collection.org_id == org_id, condition)
    ).one_or_none()
    if collection is None:
        raise NotFound(f"the organisation has no collection {id_or_slug!r}")
    return collection


def designate_collections(
    session: Session,
    org_id: int,
    *,
    contacts: Collection | None,
    organisations: Collection | None,
) -> Designated:
    """Make these collections the organisation's contacts and organisations (an Administrator's
    setting); their records' addresses are indexed. InvalidSetting when a collection is the
    Colleagues collection, another organisation's, lacks an email (contacts) or domain
    (organisations) field, or is given for both."""
    for collection, type_, what in (
        (contacts, FieldType.EMAIL, "contacts"),
        (organisations, FieldType.DOMAIN, "organisations"),
    ):
        if collection is None:
            continue
        if collection.org_id != org_id:
            raise InvalidSetting(f"the {what} collection belongs to another organisation")
        if collection.slug == "colleagues":
            raise InvalidSetting(f"the Colleagues collection cannot hold {what}")
        if not _fields_of_type(session, collection.id, type_):
            raise InvalidSetting(
                f"the collection {collection.name!r} has no {type_.value} field to hold the "
                f"{what}' {'addresses' if type_ is FieldType.EMAIL else 'domains'}"
            )
    if contacts is not None and organisations is not None and contacts.id == organisations.id:
        raise InvalidSetting("contacts and organisations need two different collections")
    settings = session.get(CrmCollections, org_id)
    if settings is None:
        settings = CrmCollections(org_id=org_id)
        session.add(settings)
    settings.contacts_collection_id = contacts.id if contacts is not None else None
    settings.organisations_collection_id = organisations.id if organisations is not None else None
    session.flush()
    for collection in (contacts, organisations):
        if collection is not None:
            reindex_collection(session, collection)
    return Designated(contacts, organisations)


def _fields_of_type(session: Session, collection_id: int, *types: FieldType) -> list[Field]:
    return list(
        session.scalars(
            select(Field)
            .where(Field.collection_id == collection_id, Field.type.in_(types))
            .order_by(Field.id)
        )
    )


def values_of(record: Record, field: Field) -> list[str]:
    """The strings of a field that holds one or several (emails, domains)."""
    value = record.data.get(field.key)
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str) and item]
    return []


def record_addresses(session: Session, record: Record, kind: str) -> list[str]:
    """A record's email addresses (kind "email") or domains ("domain"), as written."""
    type_ = FieldType.EMAIL if kind == EMAIL else FieldType.DOMAIN
    found: list[str] = []
    for field in _fields_of_type(session, record.collection_id, type_):
        found.extend(value for value in values_of(record, field) if value not in found)
    return found


def index_record(session: Session, record: Record) -> None:
    """Write the record's addresses and domains into `record_addresses` afresh."""
    session.execute(delete(RecordAddress).where(RecordAddress.record_id == record.id))
    keys: set[tuple[str, str]] = set()
    for field in _fields_of_type(session, record.collection_id, FieldType.EMAIL, FieldType.DOMAIN):
        kind = _KIND_OF_TYPE[field.type]
        for value in values_of(record, field):
            keys.add((kind, fold_case(value.strip()) if kind == EMAIL else value.strip().lower()))
    session.add_all(
        RecordAddress(
            record_id=record.id,
            kind=kind,
            value=value,
            org_id=record.org_id,
            collection_id=record.collection_id,
        )
        for kind, value in keys
        if value
    )
    session.flush()


def reindex_collection(session: Session, collection: Collection) -> None:
    """Index the addresses and domains of every record of the collection."""
    records = session.scalars(select(Record).where(Record.collection_id == collection.id))
    for record in records:
        index_record(session, record)


def find_records_by_address(
    session: Session, org_id: int, collection_id: int, kind: str, values: Iterable[str]
) -> dict[str, list[Record]]:
    """The collection's records having each address or domain (keys as given, compared
    case-insensitively), oldest first; addresses without records are absent."""
    keys = {value: fold_case(value.strip()) if kind == EMAIL else value.lower() for value in values}
    if not keys:
        return {}
    rows = session.execute(
        select(RecordAddress.value, Record)
        .join(Record, Record.id == RecordAddress.record_id)
        .where(
            RecordAddress.org_id == org_id,
            RecordAddress.kind == kind,
            RecordAddress.value.in_(set(keys.values())),
            RecordAddress.collection_id == collection_id,
        )
        .order_by(Record.id)
    ).all()
    by_key: dict[str, list[Record]] = {}
    for key, record in rows:
        by_key.setdefault(key, []).append(record)
    return {value: by_key[key] for value, key in keys.items() if key in by_key}


def organisation_link_field(session: Session, contacts_collection_id: int) -> Field | None:
    """The contacts' field that links a contact to its organisation, if the collection has one."""
    designated_orgs = session.scalars(
        select(CrmCollections.organisations_collection_id).where(
            CrmCollections.contacts_collection_id == contacts_collection_id
        )
    ).first()
    if designated_orgs is None:
        return None
    return session.scalars(
        select(Field)
        .where(
            Field.collection_id == contacts_collection_id,
            Field.type == FieldType.LINKED_RECORD,
            Field.target_collection_id == designated_orgs,
        )
        .order_by(Field.id)
    ).first()


def linked_organisations(
    session: Session, contacts_collection_id: int, contact_ids: Iterable[int]
) -> dict[int, Record]:
    """The organisation record each of these contacts links to (contacts without one absent)."""
    field = organisation_link_field(session, contacts_collection_id)
    ids = list(contact_ids)
    if field is None or not ids:
        return {}
    rows = session.execute(
        select(RecordLink.record_id, Record)
        .join(Record, Record.id == RecordLink.target_record_id)
        .where(RecordLink.field_id == field.id, RecordLink.record_id.in_(ids))
    ).all()
    return {contact_id: organisation for contact_id, organisation in rows}


def create_contact(
    session: Session,
    org_id: int,
    *,
    name: str,
    email: str,
    organisation_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Record:
    """Add a contact to the designated contacts collection, optionally linked to an organisation.

    Refuses, before writing: no contacts collection designated (NotDesignated), a blank name or
    an address that is not one (InvalidName), an address another contact has, ignoring case
    (DuplicateRecord naming it), and an organisation that is not a record of the designated
    organisations collection (NotFound).
    """
    designated = designated_collections(session, org_id)
    contacts = designated.contacts
    if contacts is None:
        raise NotDesignated("no collection is designated to hold contacts")
    name = clean_name(name, "contact")
    email = check_email(email)
    _serialise_writers(session, contacts)
    existing = find_records_by_address(session, org_id, contacts.id, EMAIL, [email]).get(email)
    if existing:
        raise DuplicateRecord(
            f"{existing[0].data.get('name') or 'A contact'} already has the address {email}.",
            existing[0].id,
        )
    organisation: Record | None = None
    link = organisation_link_field(session, contacts.id)
    if organisation_id is not None:
        organisation = session.get(Record, organisation_id)
        if (
            organisation is None
            or organisation.org_id != org_id
            or designated.organisations is None
            or organisation.collection_id != designated.organisations.id
            or link is None
        ):
            raise NotFound(f"no organisation record with id {organisation_id}")
    email_field = _fields_of_type(session, contacts.id, FieldType.EMAIL)[0]
    name_key = _name_key(session, contacts.id)
    value: str | list[str] = [email] if email_field.key == "emails" else email
    record = Record(
        org_id=org_id,
        collection_id=contacts.id,
        data={**(extra or {}), name_key: name, email_field.key: value},
    )
    session.add(record)
    session.flush()
    if organisation is not None and link is not None:
        session.add(
            RecordLink(record_id=record.id, field_id=link.id, target_record_id=organisation.id)
        )
    index_record(session, record)
    return record


def set_contact_emails(session: Session, record: Record, emails: Sequence[str]) -> None:
    """Give a contact these addresses (the first is its main one) in its first email field."""
    cleaned = [check_email(email) for email in emails]
    email_field = _fields_of_type(session, record.collection_id, FieldType.EMAIL)[0]
    value: str | list[str] = cleaned if email_field.key == "emails" else cleaned[0]
    record.data = {**record.data, email_field.key: value}
    session.flush()
    index_record(session, record)


def create_organisation_record(
    session: Session, org_id: int, *, name: str, domain: str | None
) -> Record:
    """Add an organisation (a company) to the designated organisations collection.

    Refuses, before writing: none designated (NotDesignated), a blank name or a domain that is
    not one (InvalidName), a domain another organisation record has (DuplicateRecord). Which
    domains may be given (free-mail, the organisation's own) is the caller's rule.
    """
    organisations = designated_collections(session, org_id).organisations
    if organisations is None:
        raise NotDesignated("no collection is designated to hold organisations")
    name = clean_name(name, "organisation")
    data: dict[str, Any] = {_name_key(session, organisations.id): name}
    if domain is not None:
        domain = normalise_domain(domain)
        _serialise_writers(session, organisations)
        found = find_records_by_address(session, org_id, organisations.id, DOMAIN, [domain])
        if domain in found:
            other = found[domain][0]
            raise DuplicateRecord(
                f"{other.data.get('name') or 'An organisation'} already has the domain {domain}.",
                other.id,
            )
        domain_field = _fields_of_type(session, organisations.id, FieldType.DOMAIN)[0]
        data[domain_field.key] = [domain] if domain_field.key == "domains" else domain
    record = Record(org_id=org_id, collection_id=organisations.id, data=data)
    session.add(record)
    session.flush()
    index_record(session, record)
    return record


def _serialise_writers(session: Session, collection: Collection) -> None:
    """Lock the collection's row until the transaction ends, so that two writers adding the same
    address check and insert in turn (PostgreSQL; SQLite's writers take turns anyway). An index
    cannot say it: a collection an Administrator designates may hold duplicates already."""
    session.execute(
        select(Collection.id).where(Collection.id == collection.id).with_for_update()
    ).one()


def _name_key(session: Session, collection_id: int) -> str:
    """The key of the collection's name (its first text field; "name" in the built-in ones)."""
    fields = _fields_of_type(session, collection_id, FieldType.TEXT)
    keys = [field.key for field in fields]
    return "name" if "name" in keys or not keys else keys[0]


def record_name(record: Record) -> str:
    """What a record is called: its `name` value, else its number."""
    name = record.data.get("name")
    return name if isinstance(name, str) and name else f"Record {record.id}"
