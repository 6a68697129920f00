"""`kinabase-m365 storage …` and `kinabase-m365 files …`, run as an operator would."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from jobs.queue import app_jobs
from kinabase.accounts import create_user
from kinabase.colleagues import colleague_record
from kinabase.organisations import FileStorageProvider
from kinabase_m365 import file_commands
from tests.cli_support import run_cli
from tests.files.conftest import World
from tests.files.test_migration import content, upload, use


@pytest.fixture
def record_id(cli_org_id: int, session: Session) -> int:
    user = create_user(session, cli_org_id, "ada@acme.example")
    record = colleague_record(session, cli_org_id, user.id)
    session.commit()
    return record.id


def test_files_in_the_builtin_storage(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    cli_org_id: int,
    record_id: int,
) -> None:
    monkeypatch.setenv("FILES_DIRECTORY", str(tmp_path / "files"))
    org = str(cli_org_id)
    source = tmp_path / "report.pdf"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 1))

    assert run_cli(capsys, "storage", "show", "--org", org)[:2] == (
        0,
        "provider\tbuiltin\nsite\t-\nlibrary\t-\n"
        f"health\tok: files are stored in {tmp_path / 'files'}\n",
    )
    status, out, _ = run_cli(capsys, "files", "put", "--org", org, "--record", str(record_id),
                             str(source))  # fmt: skip
    assert status == 0
    file_id = out.strip()
    listing = run_cli(capsys, "files", "list", "--org", org, "--record", str(record_id))[1]
    assert listing.startswith(f"{file_id}\treport.pdf\t{source.stat().st_size}\t")
    copy = tmp_path / "copy.pdf"
    assert (
        run_cli(capsys, "files", "get", "--org", org, "--file", file_id, "--output", str(copy))[0]
        == 0
    )
    assert copy.read_bytes() == source.read_bytes()
    assert run_cli(capsys, "files", "delete", "--org", org, "--file", file_id)[0] == 0
    assert run_cli(capsys, "files", "list", "--org", org, "--record", str(record_id))[1] == ""
    missing = run_cli(capsys, "files", "get", "--org", org, "--file", file_id)
    assert missing == (2, "", f"kinabase-m365: error: no file with id {file_id}\n")


def test_choosing_a_sharepoint_library_and_storing_there(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    world: World,
    cli_env: str,
) -> None:
    monkeypatch.setattr(file_commands, "app_factory", lambda: world.app)
    org = str(world.acme.org_id)
    site = world.acme.library.site
    archive = site.add_library("Archive")

    wrong = run_cli(capsys, "storage", "set", "--org", org, "--provider", "sharepoint",
                    "--site", site.site_id, "--library", "Nope")  # fmt: skip
    chosen = run_cli(capsys, "storage", "set", "--org", org, "--provider", "sharepoint",
                     "--site", site.site_id, "--library", "Archive")  # fmt: skip
    shown = run_cli(capsys, "storage", "show", "--org", org)[1]

    assert wrong[0] == 2
    assert "the site has no library 'Nope' (it has: Documents, Archive)" in wrong[2]
    assert chosen[0] == 0
    assert f"library\t{archive.drive_id}\n" in shown
    assert "health\tok: files are stored in the SharePoint library 'Archive'" in shown
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(6 * 1024 * 1024))
    status, out, err = run_cli(capsys, "files", "put", "--org", org,
                               "--record", str(world.acme.record_id), str(source))  # fmt: skip
    assert status == 0, err
    assert [item.content for item in archive.files()] == [source.read_bytes()]
    copy = tmp_path / "copy.bin"
    run_cli(capsys, "files", "get", "--org", org, "--file", out.strip(), "--output", str(copy))
    assert copy.read_bytes() == source.read_bytes()


def test_a_missing_permission_is_one_line_naming_it(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    world: World,
    cli_env: str,
) -> None:
    monkeypatch.setattr(file_commands, "app_factory", lambda: world.app)
    world.cloud.revoke_permission(
        world.acme.tenant.tenant_id, world.registration.client_id, "Sites.ReadWrite.All"
    )
    site = world.acme.library.site.site_id

    org = str(world.acme.org_id)

    status, _, err = run_cli(capsys, "storage", "set", "--org", org, "--provider", "sharepoint",
                             "--site", site, "--library", "Documents")  # fmt: skip

    assert status == 1
    assert err.startswith("kinabase-m365: Microsoft: Microsoft Graph refused: the app lacks the "
                          "application permission Sites.ReadWrite.All")  # fmt: skip


def test_files_migrate_here_or_on_the_queue_and_sweep(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    world: World,
    cli_env: str,
) -> None:
    monkeypatch.setattr(file_commands, "app_factory", lambda: world.app)
    acme, org = world.acme, str(world.acme.org_id)
    use(world, acme, FileStorageProvider.BUILTIN)
    upload(world, acme, "a.txt", content("a"))
    upload(world, acme, "b.txt", content("b"))

    here = run_cli(capsys, "files", "migrate", "--org", org, "--to", "sharepoint", "--here")
    queued = run_cli(capsys, "files", "migrate", "--org", org, "--to", "builtin")
    twice = run_cli(capsys, "files", "migrate", "--org", org, "--to", "builtin")

    assert here[0] == 0, here[2]
    assert sorted(here[1].splitlines()) == ["a.txt\tmoved\t", "b.txt\tmoved\t"]
    assert here[2].endswith("2 files: 0 failed\n")
    assert sorted(item.name for item in acme.library.files()) == ["a.txt", "b.txt"]
    assert queued[0] == 0
    job_id = int(queued[1])
    assert twice[0] == 2
    assert f"under way (job {job_id})" in twice[2]
    with world.app.app_context():
        app_jobs(world.app).run_here(job_id)
    assert acme.library.files() == []
    swept = run_cli(capsys, "files", "sweep", "--older-than-hours", "1")
    assert swept == (0, "", "removed 0 temporary files and 0 unused stored files\n")
