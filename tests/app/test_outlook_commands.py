"""`kinabase-m365 outlook show` and `outlook set`: the collections of contacts and organisations."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kinabase.collections import Collection, Field, FieldType
from kinabase.contacts import designated_collections, find_collection
from tests.cli_support import run_cli as run


def test_a_new_organisation_has_the_built_in_collections_designated(
    cli_org_id: int, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "outlook", "show", "--org", str(cli_org_id))

    contacts = find_collection(session, cli_org_id, "contacts")
    organisations = find_collection(session, cli_org_id, "organisations")
    assert status == 0
    assert out == (
        f"contacts\t{contacts.id}\tcontacts\tContacts\n"
        f"organisations\t{organisations.id}\torganisations\tOrganisations\n"
    )


def test_set_designates_another_collection_and_none(
    cli_org_id: int, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    people = Collection(org_id=cli_org_id, slug="people", name="People")
    session.add(people)
    session.flush()
    session.add(Field(collection_id=people.id, key="mail", name="Mail", type=FieldType.EMAIL))
    session.commit()
    org = str(cli_org_id)

    status, out, _ = run(capsys, "outlook", "set", "--org", org, "--contacts", str(people.id),
                         "--organisations", "none")  # fmt: skip

    assert (status, out) == (0, f"contacts\t{people.id}\tpeople\tPeople\norganisations\t-\n")
    session.expire_all()
    designated = designated_collections(session, cli_org_id)
    assert designated.contacts is not None and designated.contacts.id == people.id
    assert designated.organisations is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--contacts", "colleagues"], "the Colleagues collection cannot hold contacts"),
        (["--contacts", "organisations"], "has no email field"),
        (["--organisations", "contacts"], "has no domain field"),
        (["--contacts", "nowhere"], "the organisation has no collection 'nowhere'"),
    ],
)
def test_set_refuses_collections_that_cannot_serve(
    cli_org_id: int, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = run(capsys, "outlook", "set", "--org", str(cli_org_id), *argv)

    assert (status, out) == (2, "")
    assert message in err
