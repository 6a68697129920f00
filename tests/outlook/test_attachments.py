"""Attachments of a logged email, saved as files of its record through the organisation's
storage provider (built-in or SharePoint), once per name."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from files.service import open_file, record_files
from kinabase.organisations import FileStorageProvider, get_organisation, set_file_storage
from outlook import emails
from tests.outlook.conftest import Crm, World

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40


def _log(world: World, person_key: str = "grace", org: str = "acme", **changes: Any) -> int:
    organisation = getattr(world, org)
    body = {
        "internetMessageId": "<att@engines.example>",
        "subject": "Quote",
        "sender": {"email": "ada@engines.example", "name": "Ada"},
        "recipients": [],
        "timestamp": "2026-11-30T09:15:00Z",
        **changes,
    }
    response = world.call("POST", "/emails", organisation.directory[person_key], json=body)
    assert response.status_code in (200, 201), response.text
    activity_id: int = response.json["activities"][0]["id"]
    return activity_id


def _attach(
    world: World, activity_id: int, content: bytes, name: str = "Quote №1.pdf", org: str = "acme"
) -> Any:
    return world.call(
        "POST",
        f"/activities/{activity_id}/attachments",
        getattr(world, org).directory["grace"],
        data=content,
        headers={"Content-Type": "application/pdf", "X-File-Name": quote(name)},
    )


def test_an_attachment_is_stored_as_a_file_of_the_record(world: World, crm: Crm) -> None:
    activity_id = _log(world)

    response = _attach(world, activity_id, PDF)

    assert response.status_code == 201, response.text
    assert response.json["name"] == "Quote №1.pdf"
    assert response.json["size"] == len(PDF)
    assert response.json["contentType"] == "application/pdf"
    with world.app.app_context():
        info, chunks = open_file(world.database, world.acme.org_id, response.json["id"])
        assert b"".join(chunks) == PDF
    assert info.record_id == crm.contacts["ada"]
    assert info.provider == "builtin"
    listing = world.call(
        "GET", f"/records/{crm.contacts['ada']}/activities", world.acme.directory["grace"]
    )
    assert listing.json["activities"][0]["files"] == [response.json]


def test_the_same_attachment_twice_is_stored_once(world: World, crm: Crm) -> None:
    activity_id = _log(world)
    first = _attach(world, activity_id, PDF)

    again = _attach(world, activity_id, b"other bytes")

    assert again.status_code == 200
    assert again.json == first.json
    with world.app.app_context():
        _, chunks = open_file(world.database, world.acme.org_id, first.json["id"])
        assert b"".join(chunks) == PDF


def test_the_same_attachment_saved_by_two_racing_requests_is_stored_once(
    world: World, crm: Crm
) -> None:
    """Two requests for the same attachment both pass the API's check for an existing file
    before either has linked one (the task pane open in two windows): the one that links
    second answers with the first one's file and deletes its own upload."""
    activity_id = _log(world)
    user_id = world.acme.user_ids["grace"]
    with world.app.app_context():
        saved = [
            emails.save_attachment(
                world.database,
                world.acme.org_id,
                user_id,
                activity_id,
                stream=io.BytesIO(content),
                size=len(content),
                name="Quote.pdf",
                content_type="application/pdf",
            )
            for content in (PDF, b"the racing copy")
        ]
        files = record_files(world.database, world.acme.org_id, crm.contacts["ada"])
        _, chunks = open_file(world.database, world.acme.org_id, saved[0].id)
        assert b"".join(chunks) == PDF

    assert saved[1] == saved[0]
    assert [info.id for info in files] == [saved[0].id]


def test_an_attachment_over_the_limit_is_refused_and_nothing_is_stored(
    world: World, crm: Crm
) -> None:
    activity_id = _log(world)

    response = _attach(world, activity_id, b"x" * 1_000_001)

    assert response.status_code == 413
    assert "larger than the limit" in response.json["message"]
    listing = world.call(
        "GET", f"/records/{crm.contacts['ada']}/activities", world.acme.directory["grace"]
    )
    assert listing.json["activities"][0]["files"] == []


def test_another_organisations_activity_is_not_found(world: World, crm: Crm) -> None:
    activity_id = _log(world)

    response = _attach(world, activity_id, PDF, org="globex")

    assert response.status_code == 404
    assert response.json == {"message": f"There is no activity {activity_id}."}


def test_attachments_go_to_sharepoint_when_the_organisation_stores_there(
    world: World, crm: Crm
) -> None:
    library = world.acme.tenant.add_site("Kinabase").add_library("Documents")
    with world.writing() as session:
        set_file_storage(
            get_organisation(session, world.acme.org_id),
            FileStorageProvider.SHAREPOINT,
            site_id=library.site.site_id,
            drive_id=library.drive_id,
        )
        session.commit()
    activity_id = _log(world)

    response = _attach(world, activity_id, PDF, name="quote.pdf")

    assert response.status_code == 201, response.text
    (stored,) = library.files()
    assert stored.name == "quote.pdf" and stored.content == PDF
    with world.app.app_context():
        info, _ = open_file(world.database, world.acme.org_id, response.json["id"])
    assert info.provider == "sharepoint"


def test_an_attachment_without_a_length_is_refused(world: World, crm: Crm) -> None:
    activity_id = _log(world)

    response = world.call(
        "POST",
        f"/activities/{activity_id}/attachments",
        world.acme.directory["grace"],
        input_stream=io.BytesIO(PDF),
        headers={"X-File-Name": "quote.pdf", "Transfer-Encoding": "chunked"},
    )

    assert response.status_code == 411
    assert response.json == {"message": "An attachment needs a Content-Length."}
