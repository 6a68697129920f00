"""Files in SharePoint through the service's use cases, against the Graph emulator."""

from __future__ import annotations

import hashlib
import io
import os
from urllib.parse import unquote

import pytest

from files.service import delete_file, open_file, record_files, upload_file
from graph import drive
from graph.errors import ConsentMissing, GraphUnavailable
from kinabase.errors import NotFound, StorageFailed
from kinabase.organisations import FileStorageProvider
from tests.files.conftest import Organisation, World
from tests.graph.conftest import SteppingClock

UPLOAD_SESSION = "/_api/v2.0/uploadSession"
LARGE = 2 * drive.FRAGMENT_SIZE + 12_345  # three fragments, the last one short


def upload(world: World, organisation: Organisation, content: bytes, name: str = "a.bin") -> int:
    with world.app.app_context():
        info = upload_file(
            world.database,
            organisation.org_id,
            organisation.record_id,
            stream=io.BytesIO(content),
            size=len(content),
            name=name,
            content_type="application/pdf",
            user_id=organisation.user_id,
        )
    assert info.provider == "sharepoint"
    assert info.sha256 == hashlib.sha256(content).hexdigest()
    return info.id


def download(world: World, organisation: Organisation, file_id: int) -> bytes:
    with world.app.app_context():
        _, chunks = open_file(world.database, organisation.org_id, file_id)
        return b"".join(chunks)


def stored_names(organisation: Organisation) -> dict[str, bytes]:
    return {item.name: item.content for item in organisation.library.files()}


def test_a_small_file_is_one_put_into_the_records_folder(world: World) -> None:
    file_id = upload(world, world.acme, b"%PDF small", name="Quote: v2?.pdf")

    puts = [r for r in world.microsoft.requests if r.method == "PUT"]
    assert len(puts) == 1
    sent = unquote(puts[0].url)
    assert f"/root:/Kinabase/record-{world.acme.record_id}/Quote_ v2_.pdf:/content?" in sent
    assert "@microsoft.graph.conflictBehavior=rename" in sent
    assert stored_names(world.acme) == {"Quote_ v2_.pdf": b"%PDF small"}
    assert download(world, world.acme, file_id) == b"%PDF small"
    with world.app.app_context():
        (info,) = record_files(world.database, world.acme.org_id, world.acme.record_id)
    assert info.name == "Quote: v2?.pdf"  # Kinabase keeps the name as given


def test_a_large_file_goes_up_in_fragments_of_320_kib_without_the_token(world: World) -> None:
    content = os.urandom(LARGE)
    file_id = upload(world, world.acme, content)

    fragments = world.microsoft.requests_to(UPLOAD_SESSION)
    assert [len(r.body) for r in fragments] == [
        drive.FRAGMENT_SIZE,
        drive.FRAGMENT_SIZE,
        12_345,
    ]
    assert all(len(r.body) % (320 * 1024) == 0 for r in fragments[:-1])
    assert all("Authorization" not in r.headers for r in fragments)
    assert [r.status for r in fragments] == [202, 202, 201]
    assert stored_names(world.acme) == {"a.bin": content}
    assert download(world, world.acme, file_id) == content


def test_a_fragment_whose_answer_is_lost_is_resumed_from_the_status_after_a_416(
    world: World,
) -> None:
    content = os.urandom(LARGE)
    world.cloud.faults.lose_response(UPLOAD_SESSION, after=1)  # Graph keeps fragment 2

    upload(world, world.acme, content)

    answers = [(r.method, r.status) for r in world.microsoft.requests_to(UPLOAD_SESSION)]
    assert answers == [("PUT", 202), ("PUT", 0), ("PUT", 416), ("GET", 200), ("PUT", 201)]
    assert stored_names(world.acme) == {"a.bin": content}


def test_a_fragment_refused_with_503_and_429_is_sent_again_after_retry_after(
    world: World, clock: SteppingClock
) -> None:
    content = os.urandom(LARGE)
    world.cloud.faults.graph_fault(UPLOAD_SESSION, 503, after=1, retry_after="3")
    world.cloud.faults.graph_fault(UPLOAD_SESSION, 429, after=2, retry_after="2.128")

    upload(world, world.acme, content)

    statuses = [r.status for r in world.microsoft.requests_to(UPLOAD_SESSION)]
    assert statuses == [202, 503, 429, 202, 201]
    assert clock.slept == [3.0, 2.128]
    assert stored_names(world.acme) == {"a.bin": content}


def test_a_throttled_small_upload_waits_and_succeeds(world: World, clock: SteppingClock) -> None:
    path = f"/v1.0/drives/{world.acme.library.drive_id}/root:/Kinabase/record-"
    path += f"{world.acme.record_id}/a.bin:/content"
    world.cloud.faults.graph_fault(path, 429, times=2, retry_after="1.5")

    upload(world, world.acme, b"tiny")

    assert clock.slept == [1.5, 1.5]
    assert stored_names(world.acme) == {"a.bin": b"tiny"}


def test_an_upload_that_keeps_failing_is_cancelled_and_records_nothing(world: World) -> None:
    world.cloud.faults.graph_fault(UPLOAD_SESSION, 503, after=1, times=100)

    with pytest.raises(GraphUnavailable):
        upload(world, world.acme, os.urandom(LARGE))

    assert world.microsoft.requests_to(UPLOAD_SESSION)[-1].method == "DELETE"
    assert stored_names(world.acme) == {}
    with world.app.app_context():
        assert record_files(world.database, world.acme.org_id, world.acme.record_id) == []


def test_a_name_already_in_the_folder_is_never_overwritten(world: World) -> None:
    folder = f"Kinabase/record-{world.acme.record_id}"
    world.acme.library.add_file(f"{folder}/report.pdf", b"someone else's")

    small = upload(world, world.acme, b"mine", name="report.pdf")
    large_content = os.urandom(LARGE)
    large = upload(world, world.acme, large_content, name="report.pdf")

    assert stored_names(world.acme) == {
        "report.pdf": b"someone else's",
        "report 1.pdf": b"mine",
        "report 2.pdf": large_content,
    }
    assert download(world, world.acme, small) == b"mine"
    assert download(world, world.acme, large) == large_content


def test_the_emulator_answers_409_when_asked_to_fail_on_a_name(world: World) -> None:
    """What `rename` avoids: Graph's 409 nameAlreadyExists (reference §2.1)."""
    library = world.acme.library
    library.add_file("taken.txt", b"x")
    with world.app.app_context():
        from graph.errors import GraphRequestFailed  # noqa: PLC0415
        from graph.http import graph_url, send  # noqa: PLC0415

        url = graph_url(f"/drives/{library.drive_id}/root:/taken.txt:/content")
        with pytest.raises(GraphRequestFailed) as refused:
            send(
                "PUT",
                world.acme.tenant.tenant_id,
                url,
                {"@microsoft.graph.conflictBehavior": "fail"},
                permission=drive.PERMISSION,
                body=b"y",
            )
    assert (refused.value.status, refused.value.code) == (409, "nameAlreadyExists")


def test_a_missing_permission_names_sites_readwrite_all(world: World) -> None:
    world.cloud.revoke_permission(
        world.acme.tenant.tenant_id, world.registration.client_id, "Sites.ReadWrite.All"
    )

    with pytest.raises(ConsentMissing) as refused:
        upload(world, world.acme, b"data")

    assert refused.value.permission == "Sites.ReadWrite.All"
    assert "Sites.ReadWrite.All" in str(refused.value)
    with world.app.app_context():
        assert record_files(world.database, world.acme.org_id, world.acme.record_id) == []


def test_delete_removes_the_item_from_the_library(world: World) -> None:
    file_id = upload(world, world.acme, b"to be deleted")
    with world.app.app_context():
        delete_file(world.database, world.acme.org_id, file_id)
        assert record_files(world.database, world.acme.org_id, world.acme.record_id) == []
        with pytest.raises(NotFound):
            open_file(world.database, world.acme.org_id, file_id)
    assert stored_names(world.acme) == {}


def test_two_organisations_on_two_tenants_never_see_each_others_files(world: World) -> None:
    acme_file = upload(world, world.acme, b"acme's")
    globex_file = upload(world, world.globex, b"globex's")

    assert stored_names(world.acme) == {"a.bin": b"acme's"}
    assert stored_names(world.globex) == {"a.bin": b"globex's"}
    with world.app.app_context():
        with pytest.raises(NotFound):
            open_file(world.database, world.globex.org_id, acme_file)
        with pytest.raises(NotFound):
            delete_file(world.database, world.acme.org_id, globex_file)
        with pytest.raises(NotFound):
            record_files(world.database, world.globex.org_id, world.acme.record_id)
    tokens = {
        unquote(r.url.split("/drives/")[1].split("/")[0]): r.headers["Authorization"]
        for r in world.microsoft.requests
        if "/v1.0/drives/" in r.url
    }
    assert tokens[world.acme.library.drive_id] != tokens[world.globex.library.drive_id]


def test_switching_provider_keeps_old_files_where_they_are(world: World) -> None:
    from kinabase.database import make_sessionmakers  # noqa: PLC0415
    from kinabase.organisations import get_organisation, set_file_storage  # noqa: PLC0415

    in_sharepoint = upload(world, world.acme, b"before")
    _, write = make_sessionmakers(world.database.engine)
    with write() as session:
        set_file_storage(get_organisation(session, world.acme.org_id), FileStorageProvider.BUILTIN)
        session.commit()
    with world.app.app_context():
        built_in = upload_file(
            world.database,
            world.acme.org_id,
            world.acme.record_id,
            stream=io.BytesIO(b"after"),
            size=5,
            name="b.txt",
            content_type=None,
            user_id=None,
        )
        providers = {
            info.id: info.provider
            for info in record_files(world.database, world.acme.org_id, world.acme.record_id)
        }
    assert providers == {in_sharepoint: "sharepoint", built_in.id: "builtin"}
    assert download(world, world.acme, in_sharepoint) == b"before"
    assert download(world, world.acme, built_in.id) == b"after"


@pytest.mark.parametrize("size", [100, LARGE])
def test_a_copy_whose_quick_xor_hash_differs_is_deleted_and_nothing_recorded(
    world: World, size: int
) -> None:
    world.cloud.faults.corrupt_uploads = 1

    with pytest.raises(StorageFailed, match="quickXorHash"):
        upload(world, world.acme, os.urandom(size))

    assert stored_names(world.acme) == {}
    with world.app.app_context():
        assert record_files(world.database, world.acme.org_id, world.acme.record_id) == []
