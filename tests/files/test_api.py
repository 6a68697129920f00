"""The files API for signed-in users: upload, list, download, delete; one organisation only."""

from __future__ import annotations

import dataclasses
import io
import os
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import Engine

from kinabase.database import make_sessionmakers
from kinabase.organisations import FileStorageProvider, get_organisation, set_file_storage
from tests.files.conftest import Organisation, World


def use_builtin(engine: Engine, organisation: Organisation) -> None:
    _, write = make_sessionmakers(engine)
    with write() as session:
        set_file_storage(
            get_organisation(session, organisation.org_id), FileStorageProvider.BUILTIN
        )
        session.commit()


def post_file(
    browser: FlaskClient, record_id: int, content: bytes, name: str = "notes.txt"
) -> tuple[int, dict]:
    response = browser.post(
        f"/api/records/{record_id}/files",
        input_stream=io.BytesIO(content),
        content_length=len(content),
        content_type="text/plain",
        headers={"X-File-Name": name},
    )
    return response.status_code, response.get_json()


def test_upload_list_download_and_delete_in_sharepoint(world: World) -> None:
    browser = world.signed_in(world.acme)
    content = os.urandom(5 * 1024 * 1024)  # large enough for an upload session

    status, created = post_file(browser, world.acme.record_id, content, "Plan%20%C3%A9t%C3%A9.txt")

    assert status == 201, created
    assert created["name"] == "Plan été.txt"
    assert (created["size"], created["provider"]) == (len(content), "sharepoint")
    assert created["created_by_id"] == world.acme.user_id
    listing = browser.get(f"/api/records/{world.acme.record_id}/files").get_json()
    assert [f["id"] for f in listing["files"]] == [created["id"]]
    download = browser.get(f"/api/files/{created['id']}")
    assert download.status_code == 200
    assert download.is_streamed
    assert download.data == content
    assert download.headers["Content-Type"].startswith("text/plain")
    assert download.headers["Content-Disposition"] == (
        "attachment; filename*=UTF-8''Plan%20%C3%A9t%C3%A9.txt"
    )
    assert browser.delete(f"/api/files/{created['id']}").status_code == 204
    assert browser.get(f"/api/files/{created['id']}").status_code == 404
    assert world.acme.library.files() == []


def test_the_builtin_storage_through_the_api(world: World, engine: Engine, tmp_path: Path) -> None:
    use_builtin(engine, world.acme)
    browser = world.signed_in(world.acme)

    status, first = post_file(browser, world.acme.record_id, b"same bytes", "a.txt")
    _, second = post_file(browser, world.acme.record_id, b"same bytes", "b.txt")

    assert status == 201
    assert first["provider"] == "builtin"
    root = tmp_path / "files"
    stored = [
        p
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[0].startswith("org-")
    ]
    assert len(stored) == 1  # content-addressed: one copy for two files
    assert browser.delete(f"/api/files/{first['id']}").status_code == 204
    assert stored[0].exists()  # still b.txt's
    assert browser.get(f"/api/files/{second['id']}").data == b"same bytes"
    assert browser.delete(f"/api/files/{second['id']}").status_code == 204
    assert not stored[0].exists()


def test_another_organisations_records_and_files_do_not_exist(world: World) -> None:
    acme = world.signed_in(world.acme)
    globex = world.signed_in(world.globex)
    _, acme_file = post_file(acme, world.acme.record_id, b"acme only")

    answers = [
        globex.get(f"/api/files/{acme_file['id']}"),
        globex.delete(f"/api/files/{acme_file['id']}"),
        globex.get(f"/api/records/{world.acme.record_id}/files"),
        globex.post(
            f"/api/records/{world.acme.record_id}/files",
            data=b"intruder",
            headers={"X-File-Name": "x.txt"},
        ),
        globex.get("/api/files/999999"),
    ]

    assert [a.status_code for a in answers] == [404] * 5
    assert answers[0].get_json() == {"error": f"no file with id {acme_file['id']}"}
    assert answers[4].get_json() == {"error": "no file with id 999999"}
    assert acme.get(f"/api/files/{acme_file['id']}").data == b"acme only"
    assert world.globex.library.files() == []


def test_changes_need_a_session_and_its_csrf_token(world: World) -> None:
    browser = world.signed_in(world.acme)
    del browser.environ_base["HTTP_X_CSRF_TOKEN"]
    anonymous = world.app.test_client()

    forged = browser.post(f"/api/records/{world.acme.record_id}/files", data=b"x")
    signed_out = anonymous.post(f"/api/records/{world.acme.record_id}/files", data=b"x")

    # A missing CSRF token is 403: the session is fine, the request is not (sso/sessions.py).
    assert (forged.status_code, signed_out.status_code) == (403, 401)
    listing = anonymous.get(f"/api/records/{world.acme.record_id}/files")
    assert listing.status_code == 401 and "not signed in" in listing.get_json()["error"]
    assert "X-CSRF-TOKEN" in forged.get_json()["error"]
    assert world.acme.library.files() == []


def test_refusals_are_json_and_store_nothing(world: World, engine: Engine) -> None:
    browser = world.signed_in(world.acme)
    world.cloud.revoke_permission(
        world.acme.tenant.tenant_id, world.registration.client_id, "Sites.ReadWrite.All"
    )

    consent = post_file(browser, world.acme.record_id, b"x")
    nameless = post_file(browser, world.acme.record_id, b"x", name="")

    assert consent[0] == 502
    assert "Sites.ReadWrite.All" in consent[1]["error"]
    assert nameless == (400, {"error": "a file needs a name"})
    assert browser.get(f"/api/records/{world.acme.record_id}/files").get_json() == {"files": []}


def test_a_file_over_the_limit_is_413(world: World, engine: Engine) -> None:
    use_builtin(engine, world.acme)
    settings = world.app.extensions["kinabase.settings"]
    world.app.extensions["kinabase.settings"] = dataclasses.replace(settings, files_max_bytes=10)
    browser = world.signed_in(world.acme)

    status, body = post_file(browser, world.acme.record_id, b"eleven byte")

    assert (status, body) == (413, {"error": "the file is larger than the limit of 10 bytes"})
