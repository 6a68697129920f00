"""The migration between providers, run in this process as a worker runs it: every file moves
once, checked, named as its user named it, and the source's bytes go only after the switch; a
migration stopped at any step is finished by the next without duplicates or leftovers."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from files.migration import MigrationRunning, start_migration
from files.moves import FileMove
from files.service import delete_file, open_file, upload_file
from graph import http as graph_http
from jobs.models import Job, JobItem, JobStatus
from jobs.queue import app_jobs
from kinabase.errors import InvalidSetting
from kinabase.files import StoredFile
from kinabase.organisations import FileStorageProvider, get_organisation, set_file_storage
from kinabase.storage import BuiltinStorage
from tests.files.conftest import Organisation, World
from tests.graph.conftest import SteppingClock

BIG = 5 * 1024 * 1024 + 123  # an upload session of two fragments


def content(seed: str, size: int = 1000) -> bytes:
    """Distinct bytes of a given size."""
    block = hashlib.sha256(seed.encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def use(world: World, org: Organisation, provider: FileStorageProvider) -> None:
    with world.database.write_sessions() as session:
        organisation = get_organisation(session, org.org_id)
        set_file_storage(
            organisation,
            provider,
            site_id=org.library.site.site_id,
            drive_id=org.library.drive_id,
        )
        session.commit()


def upload(world: World, org: Organisation, name: str, data: bytes) -> int:
    with world.app.app_context():
        info = upload_file(
            world.database,
            org.org_id,
            org.record_id,
            stream=io.BytesIO(data),
            size=len(data),
            name=name,
            content_type="text/plain",
            user_id=org.user_id,
        )
    return info.id


def migrate(world: World, org: Organisation, to: FileStorageProvider | None = None) -> Job:
    """Queue a migration and run it here, as the worker would; the job as it ended."""
    with world.database.write_sessions() as session:
        job_id = start_migration(session, org.org_id, to).id
        session.commit()
    with world.app.app_context():
        app_jobs(world.app).run_here(job_id)
    with world.database.read_sessions() as session:
        job = session.get_one(Job, job_id)
        session.expunge(job)
        return job


def rows(world: World, org: Organisation) -> list[StoredFile]:
    with world.database.read_sessions() as session:
        found = list(
            session.scalars(
                select(StoredFile).where(StoredFile.org_id == org.org_id).order_by(StoredFile.id)
            )
        )
        session.expunge_all()
        return found


def read(world: World, org: Organisation, file_id: int) -> bytes:
    with world.app.app_context():
        _, chunks = open_file(world.database, org.org_id, file_id)
        return b"".join(chunks)


def builtin_files(world: World) -> list[str]:
    with world.app.app_context():
        root = Path(world.app.extensions["kinabase.settings"].files_directory)
    return sorted(BuiltinStorage(root, 1).locations())


def leftovers(world: World) -> int:
    with world.database.read_sessions() as session:
        return session.scalar(select(func.count()).select_from(FileMove)) or 0


@pytest.fixture
def files_in_builtin(world: World) -> dict[int, bytes]:
    """Acme's record with four built-in files: two of the same content, two of the same name,
    one large."""
    acme = world.acme
    use(world, acme, FileStorageProvider.BUILTIN)
    uploads = {
        "report.pdf": content("a"),
        "copy of report.pdf": content("a"),
        "notes.txt": content("b"),
        "big.bin": content("c", BIG),
    }
    ids = {upload(world, acme, name, data): data for name, data in uploads.items()}
    ids[upload(world, acme, "report.pdf", content("d"))] = content("d")  # a second report.pdf
    return ids


def test_built_in_files_move_to_sharepoint_once_each_and_leave_nothing_behind(
    world: World, files_in_builtin: dict[int, bytes]
) -> None:
    acme = world.acme
    assert len(builtin_files(world)) == 4  # the two identical files share their bytes

    job = migrate(world, acme, FileStorageProvider.SHAREPOINT)

    assert (job.status, job.total, job.done, job.failed) == (JobStatus.SUCCEEDED, 5, 5, 0)
    moved = rows(world, acme)
    assert {f.provider for f in moved} == {FileStorageProvider.SHAREPOINT}
    library = acme.library
    names = sorted(item.name for item in library.files())
    assert names == ["big.bin", "copy of report.pdf", "notes.txt", "report 1.pdf", "report.pdf"]
    for row in moved:
        assert read(world, acme, row.id) == files_in_builtin[row.id]
        item_id = row.location.split("/", 1)[1]
        assert library.items[item_id].content == files_in_builtin[row.id]
        assert row.quick_xor_hash is not None
    assert builtin_files(world) == []
    assert leftovers(world) == 0
    with world.database.read_sessions() as session:
        outcomes = session.scalars(select(JobItem.outcome).where(JobItem.job_id == job.id))
        assert sorted(outcomes) == ["moved"] * 5
        assert get_organisation(session, acme.org_id).file_storage_provider is (
            FileStorageProvider.SHAREPOINT
        )


def test_sharepoint_files_move_to_built_in_and_their_items_are_deleted(
    world: World, files_in_builtin: dict[int, bytes]
) -> None:
    acme = world.acme
    migrate(world, acme, FileStorageProvider.SHAREPOINT)

    job = migrate(world, acme, FileStorageProvider.BUILTIN)

    assert (job.status, job.done, job.failed) == (JobStatus.SUCCEEDED, 5, 0)
    assert acme.library.files() == []
    assert len(builtin_files(world)) == 4
    for row in rows(world, acme):
        assert row.provider is FileStorageProvider.BUILTIN
        assert read(world, acme, row.id) == files_in_builtin[row.id]


def test_a_migration_stopped_by_microsoft_is_finished_by_the_next_without_duplicates(
    world: World, files_in_builtin: dict[int, bytes]
) -> None:
    acme = world.acme
    use(world, acme, FileStorageProvider.SHAREPOINT)
    ids = sorted(files_in_builtin)
    third = rows(world, acme)[2]
    # The third file's upload is handled by Graph but its answer is lost, five times: the
    # retries run out and the job stops with the copy made and not recorded.
    staging = f"/v1.0/drives/{acme.library.drive_id}/root:/Kinabase/record-{acme.record_id}/"
    path = f"{staging}.kinabase-moving-{third.id}:/content"
    world.cloud.faults.lose_response(path, times=10)

    stopped = migrate(world, acme)

    assert stopped.status is JobStatus.FAILED
    assert stopped.done == 2
    assert leftovers(world) == 1
    assert any(item.name.startswith(".kinabase-moving-") for item in acme.library.files())

    finished = migrate(world, acme)

    assert (finished.status, finished.done, finished.failed) == (JobStatus.SUCCEEDED, 3, 0)
    assert len(acme.library.files()) == 5  # each file once: the lost copy was replaced
    assert not any(item.name.startswith(".kinabase") for item in acme.library.files())
    assert builtin_files(world) == []
    assert leftovers(world) == 0
    for file_id in ids:
        assert read(world, acme, file_id) == files_in_builtin[file_id]


def test_a_source_that_cannot_be_deleted_yet_is_deleted_by_the_next_migration(
    world: World, files_in_builtin: dict[int, bytes]
) -> None:
    acme = world.acme
    migrate(world, acme, FileStorageProvider.SHAREPOINT)
    first = rows(world, acme)[0]
    item_path = f"/v1.0/drives/{first.location.replace('/', '/items/', 1)}"
    world.cloud.faults.graph_fault(item_path, 503, times=50)  # its DELETE fails, retries too

    stopped = migrate(world, acme, FileStorageProvider.BUILTIN)

    assert stopped.status is JobStatus.FAILED
    assert rows(world, acme)[0].provider is FileStorageProvider.BUILTIN  # switched already
    assert leftovers(world) == 1
    world.cloud.faults.graph_faults.clear()

    finished = migrate(world, acme)

    assert finished.status is JobStatus.SUCCEEDED
    assert acme.library.files() == []
    assert leftovers(world) == 0
    assert {row.provider for row in rows(world, acme)} == {FileStorageProvider.BUILTIN}


def test_a_file_whose_bytes_do_not_match_its_hash_fails_and_stays(
    world: World, files_in_builtin: dict[int, bytes]
) -> None:
    acme = world.acme
    damaged = rows(world, acme)[2]
    with world.app.app_context():
        root = Path(world.app.extensions["kinabase.settings"].files_directory)
    (root / damaged.location).write_bytes(b"not what was uploaded")

    job = migrate(world, acme, FileStorageProvider.SHAREPOINT)

    assert (job.status, job.done, job.failed) == (JobStatus.SUCCEEDED, 5, 1)
    with world.database.read_sessions() as session:
        item = session.scalars(
            select(JobItem).where(JobItem.job_id == job.id, JobItem.outcome == "failed")
        ).one()
        assert (item.label, item.key) == ("notes.txt", str(damaged.id))
        assert "ended" in (item.reason or "")  # the bytes are shorter than the file
    assert rows(world, acme)[2].provider is FileStorageProvider.BUILTIN
    assert len(acme.library.files()) == 4
    assert leftovers(world) == 0


def test_one_migration_at_a_time_and_sharepoint_needs_a_library(world: World) -> None:
    acme = world.acme
    with world.database.write_sessions() as session:
        start_migration(session, acme.org_id)
        session.commit()
        with pytest.raises(MigrationRunning):
            start_migration(session, acme.org_id)
        session.rollback()
        organisation = get_organisation(session, acme.org_id)
        organisation.file_storage_provider = FileStorageProvider.BUILTIN
        organisation.sharepoint_drive_id = None
        session.commit()
    with world.database.write_sessions() as session, pytest.raises(InvalidSetting):
        start_migration(session, acme.org_id, FileStorageProvider.SHAREPOINT)


class DeletingClock(SteppingClock):
    """Graph's clock: while the migration waits out a 429, the file's user deletes it."""

    def __init__(self, delete: Callable[[], None]) -> None:
        super().__init__()
        self.delete = delete

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        delete, self.delete = self.delete, lambda: None
        delete()


def test_a_file_deleted_by_its_user_during_its_move_is_skipped_and_its_copy_deleted(
    world: World, files_in_builtin: dict[int, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    acme = world.acme
    victim = rows(world, acme)[2]  # notes.txt
    path = (
        f"/v1.0/drives/{acme.library.drive_id}/root:/Kinabase/record-{acme.record_id}"
        f"/.kinabase-moving-{victim.id}:/content"
    )
    world.cloud.faults.graph_fault(path, 429, retry_after="5")

    def users_delete() -> None:
        with world.app.app_context():
            delete_file(world.database, acme.org_id, victim.id)

    monkeypatch.setattr(graph_http, "clock", DeletingClock(users_delete))

    job = migrate(world, acme, FileStorageProvider.SHAREPOINT)

    assert (job.status, job.done, job.failed) == (JobStatus.SUCCEEDED, 5, 0)
    with world.database.read_sessions() as session:
        item = session.scalars(
            select(JobItem).where(JobItem.job_id == job.id, JobItem.key == str(victim.id))
        ).one()
        assert (item.outcome, item.reason) == ("skipped", "deleted by its user during its move")
    names = sorted(i.name for i in acme.library.files())
    assert names == ["big.bin", "copy of report.pdf", "report 1.pdf", "report.pdf"]
    assert builtin_files(world) == []
    assert leftovers(world) == 0
