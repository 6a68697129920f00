"""Who the addresses of an email are, for Kinabase: colleagues, contacts and organisations.

For each address (sender and recipients):

- **colleague**: the organisation's user with that email (compared by `fold_case`), with their
  Colleague record;
- **contacts**: the records of the designated contacts collection having the address among any
  of their emails, ignoring case;
- **organisation**: the record of the designated organisations collection having the address's
  domain among its domains, unless the domain is a free-mail provider's or one of the
  organisation's own (the domain of any of its users' emails or sign-in names): those domains
  belong to people, not to the companies a team deals with, and never match or create
  organisations.

A collection the user may not view is not searched. All of it is a handful of indexed queries
for the whole list, whatever its length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kinabase.colleagues import colleagues_collection
from kinabase.collections import Record
from kinabase.contacts import (
    DOMAIN,
    EMAIL,
    designated_collections,
    domain_of,
    find_records_by_address,
)
from kinabase.names import fold_case
from kinabase.permissions import can_view
from kinabase.users import User
from outlook.free_mail import is_free_mail

FREE_MAIL = "freeMail"
OWN = "own"
ORGANISATION = "organisation"


@dataclass(frozen=True)
class Address:
    """An address of the email, as Outlook gives it."""

    email: str
    name: str
    role: str  # from | to | cc | bcc


@dataclass
class AddressMatch:
    """What Kinabase has for one address."""

    address: Address
    domain: str | None
    domain_kind: str | None  # organisation | freeMail | own; None without a valid domain
    colleague: Record | None = None
    contacts: list[Record] = field(default_factory=list)
    organisation: Record | None = None

    @property
    def records(self) -> list[Record]:
        """Every record matched for the address."""
        found = [*([self.colleague] if self.colleague else []), *self.contacts]
        return found + ([self.organisation] if self.organisation else [])


def distinct_addresses(addresses: Sequence[Address]) -> list[Address]:
    """The addresses without repeats (compared by `fold_case`), first occurrence kept."""
    seen: set[str] = set()
    kept = []
    for address in addresses:
        key = fold_case(address.email.strip())
        if key not in seen:
            seen.add(key)
            kept.append(address)
    return kept


def own_domains(session: Session, org_id: int, domains: set[str]) -> set[str]:
    """Which of these domains are the organisation's own: its users' email or sign-in domains."""
    if not domains:
        return set()
    found: set[str] = set()
    for domain in domains:
        suffix = "%@" + domain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        owned = session.scalars(
            select(User.id)
            .where(
                User.org_id == org_id,
                or_(
                    User.email_folded.like(suffix, escape="\\"),
                    func.lower(User.user_principal_name).like(suffix, escape="\\"),
                ),
            )
            .limit(1)
        ).first()
        if owned is not None:
            found.add(domain)
    return found


def domain_kinds(session: Session, org_id: int, domains: set[str]) -> dict[str, str]:
    """For each domain: organisation, freeMail or own."""
    kinds = {domain: FREE_MAIL for domain in domains if is_free_mail(domain)}
    for domain in own_domains(session, org_id, domains - set(kinds)):
        kinds[domain] = OWN
    return {domain: kinds.get(domain, ORGANISATION) for domain in domains}


def match_addresses(
    session: Session, user: User, addresses: Sequence[Address]
) -> list[AddressMatch]:
    """What the organisation has for each distinct address, as far as the user may see."""
    org_id = user.org_id
    wanted = distinct_addresses(addresses)
    domains = {address.email: domain_of(address.email) for address in wanted}
    kinds = domain_kinds(session, org_id, {d for d in domains.values() if d is not None})
    matches = [
        AddressMatch(address, domains[address.email], kinds.get(domains[address.email] or ""))
        for address in wanted
    ]
    emails = [address.email.strip() for address in wanted]
    colleagues = colleagues_collection(session, org_id)
    if can_view(session, user, colleagues.id):
        records = _colleague_records(session, org_id, emails)
        for match in matches:
            match.colleague = records.get(fold_case(match.address.email.strip()))
    designated = designated_collections(session, org_id)
    if designated.contacts is not None and can_view(session, user, designated.contacts.id):
        contacts = find_records_by_address(session, org_id, designated.contacts.id, EMAIL, emails)
        for match in matches:
            match.contacts = contacts.get(match.address.email.strip(), [])
    organisations = designated.organisations
    if organisations is not None and can_view(session, user, organisations.id):
        matchable = {m.domain for m in matches if m.domain and m.domain_kind == ORGANISATION}
        found = find_records_by_address(session, org_id, organisations.id, DOMAIN, matchable)
        for match in matches:
            if match.domain in found:
                match.organisation = found[match.domain][0]
    return matches


def _colleague_records(session: Session, org_id: int, emails: list[str]) -> dict[str, Record]:
    """The Colleague records of the users with these emails, by folded email."""
    keys = {fold_case(email) for email in emails}
    rows = session.execute(
        select(User.email_folded, Record)
        .join(Record, Record.user_id == User.id)
        .where(User.org_id == org_id, User.email_folded.in_(keys))
    ).all()
    return {key: record for key, record in rows}
