"""`kinabase-m365 storage …` and `kinabase-m365 files …`: where an organisation's new files go,
and a record's files, for operators.

    kinabase-m365 storage show --org 1
    kinabase-m365 storage set --org 1 --provider builtin
    kinabase-m365 storage set --org 1 --provider sharepoint --site SITE_ID --library Documents
    kinabase-m365 files put --org 1 --record 7 report.pdf [--name N] [--content-type T]  # id
    kinabase-m365 files list --org 1 --record 7
    kinabase-m365 files get --org 1 --file 3 [--output PATH]     # to stdout without --output
    kinabase-m365 files delete --org 1 --file 3
    kinabase-m365 files migrate --org 1 --to sharepoint [--here]   # prints the job's id
    kinabase-m365 files sweep [--older-than-hours 24]

`--library` takes a document library's drive id or its name, looked up among the site's
libraries through Graph (so the site and library must exist and the app must be allowed to read
them). The commands run the service's own use cases inside an app context, streaming: a file of
any size goes through in chunks.

`files migrate` queues the job that moves every file of the organisation to the provider (and
library) new files go to, making `--to` the provider for new files first; a worker
(`kinabase-m365 worker`) runs it, and the File Storage page follows it. With `--here` it runs
in this process instead, printing each file's outcome (name, outcome, reason). `files sweep`
removes the built-in storage's temporary files older than the limit (left by crashed uploads)
and bytes that no file names; run it from cron, say daily.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from kinabase.errors import InvalidSetting
from kinabase.organisations import FileStorageProvider, get_organisation, set_file_storage
from kinabase_m365.database import get_database
from kinabase_m365.settings import Settings

AppFactory = Callable[[], Flask]


def _create_app() -> Flask:
    from kinabase_m365.app import create_app  # noqa: PLC0415 - only these commands need the app

    return create_app()


# The app the commands run in; tests give one whose Microsoft session reaches their emulators.
app_factory: AppFactory = _create_app


def add_file_commands(commands: Any) -> None:
    """Add `storage show|set` and `files put|get|list|delete` to the CLI's sub-commands."""
    parser_class = type(commands.add_parser("storage", help="where new files are stored"))
    storage = commands.choices["storage"].add_subparsers(
        required=True, metavar="ACTION", parser_class=parser_class
    )
    show = storage.add_parser("show", help="the provider, site and library; health")
    show.add_argument("--org", type=int, required=True, help="organisation id")
    show.set_defaults(handler=_storage_show)
    change = storage.add_parser("set", help="choose the provider for new files")
    change.add_argument("--org", type=int, required=True, help="organisation id")
    change.add_argument("--provider", choices=[p.value for p in FileStorageProvider])
    change.add_argument("--site", help="SharePoint site id (host,collection,web)")
    change.add_argument("--library", help="document library: drive id or name")
    change.set_defaults(handler=_storage_set)

    files = commands.add_parser("files", help="files of records").add_subparsers(
        required=True, metavar="ACTION", parser_class=parser_class
    )
    put = files.add_parser("put", help="store a file on a record; prints its id")
    put.add_argument("--org", type=int, required=True, help="organisation id")
    put.add_argument("--record", type=int, required=True, help="record id")
    put.add_argument("path", type=Path, metavar="PATH")
    put.add_argument("--name", help="the file's name (default: PATH's name)")
    put.add_argument("--content-type", default=None)
    put.set_defaults(handler=_files_put)
    listing = files.add_parser("list", help="a record's files")
    listing.add_argument("--org", type=int, required=True, help="organisation id")
    listing.add_argument("--record", type=int, required=True, help="record id")
    listing.set_defaults(handler=_files_list)
    get = files.add_parser("get", help="a file's content, to stdout or --output")
    get.add_argument("--org", type=int, required=True, help="organisation id")
    get.add_argument("--file", type=int, required=True, help="file id")
    get.add_argument("--output", type=Path, help="write here instead of stdout")
    get.set_defaults(handler=_files_get)
    delete = files.add_parser("delete", help="delete a file and its bytes")
    delete.add_argument("--org", type=int, required=True, help="organisation id")
    delete.add_argument("--file", type=int, required=True, help="file id")
    delete.set_defaults(handler=_files_delete)
    migrate = files.add_parser("migrate", help="move every file to a provider (a job)")
    migrate.add_argument("--org", type=int, required=True, help="organisation id")
    migrate.add_argument("--to", choices=[p.value for p in FileStorageProvider], required=True)
    migrate.add_argument("--here", action="store_true", help="run in this process, not a worker")
    migrate.set_defaults(handler=_files_migrate)
    sweep = files.add_parser("sweep", help="remove stale temporary files and unused bytes")
    sweep.add_argument("--older-than-hours", type=float, default=24.0)
    sweep.set_defaults(handler=_files_sweep)


@contextmanager
def _running_app() -> Iterator[Flask]:
    app = app_factory()
    try:
        with app.app_context():
            yield app
    finally:
        get_database(app).engine.dispose()


def _storage_show(args: argparse.Namespace, settings: Settings) -> int:
    from files.service import storage_for  # noqa: PLC0415 - needs the app

    with _running_app() as app, get_database(app).read_sessions() as session:
        organisation = get_organisation(session, args.org)
        print(f"provider\t{organisation.file_storage_provider.value}")
        print(f"site\t{organisation.sharepoint_site_id or '-'}")
        print(f"library\t{organisation.sharepoint_drive_id or '-'}")
        try:
            health = storage_for(organisation.file_storage_provider, organisation).health()
            print(f"health\t{'ok' if health.ok else 'failing'}: {health.detail}")
        except Exception as error:
            print(f"health\tfailing: {error}")
    return 0


def _storage_set(args: argparse.Namespace, settings: Settings) -> int:
    from graph.drive import list_site_drives  # noqa: PLC0415 - needs the app

    with _running_app() as app, get_database(app).write_sessions() as session:
        organisation = get_organisation(session, args.org)
        provider = FileStorageProvider(args.provider or organisation.file_storage_provider)
        drive_id = None
        site = args.site or organisation.sharepoint_site_id
        if provider is FileStorageProvider.SHAREPOINT:
            if organisation.entra_tenant_id is None or not site or not args.library:
                set_file_storage(organisation, provider, site_id=site, drive_id=None)
            libraries = list_site_drives(str(organisation.entra_tenant_id), str(site))
            found = [d for d in libraries if args.library in (d.id, d.name)]
            if not found:
                names = ", ".join(d.name for d in libraries) or "none"
                raise InvalidSetting(f"the site has no library {args.library!r} (it has: {names})")
            drive_id = found[0].id
        set_file_storage(organisation, provider, site_id=site, drive_id=drive_id)
        session.commit()
    print(f"new files of organisation {args.org} go to {provider.value}", file=sys.stderr)
    return 0


def _files_put(args: argparse.Namespace, settings: Settings) -> int:
    from files.service import upload_file  # noqa: PLC0415 - needs the app

    with _running_app() as app, args.path.open("rb") as source:
        info = upload_file(
            get_database(app),
            args.org,
            args.record,
            stream=source,
            size=args.path.stat().st_size,
            name=args.name or args.path.name,
            content_type=args.content_type,
            user_id=None,
        )
    print(info.id)
    return 0


def _files_list(args: argparse.Namespace, settings: Settings) -> int:
    from files.service import record_files  # noqa: PLC0415 - needs the app

    with _running_app() as app:
        for info in record_files(get_database(app), args.org, args.record):
            print(
                f"{info.id}\t{info.name}\t{info.size}\t{info.content_type}\t{info.provider}"
                f"\tsha256={info.sha256}\t{info.created_at}"
            )
    return 0


def _files_get(args: argparse.Namespace, settings: Settings) -> int:
    from files.service import open_file  # noqa: PLC0415 - needs the app

    with _running_app() as app:
        _, chunks = open_file(get_database(app), args.org, args.file)
        if args.output is None:
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
        else:
            with args.output.open("wb") as output:
                for chunk in chunks:
                    output.write(chunk)
    return 0


def _files_delete(args: argparse.Namespace, settings: Settings) -> int:
    from files.service import delete_file  # noqa: PLC0415 - needs the app

    with _running_app() as app:
        delete_file(get_database(app), args.org, args.file)
    print(f"file {args.file} deleted", file=sys.stderr)
    return 0


def _files_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from files.migration import start_migration  # noqa: PLC0415 - needs the app
    from jobs.models import Job, JobStatus  # noqa: PLC0415
    from jobs.progress import job_items  # noqa: PLC0415
    from jobs.queue import app_jobs  # noqa: PLC0415

    with _running_app() as app:
        with get_database(app).write_sessions() as session:
            job_id = start_migration(session, args.org, FileStorageProvider(args.to)).id
            session.commit()
        if not args.here:
            app_jobs(app).enqueue(job_id)
            print(job_id)
            print(f"migration job {job_id} queued for a worker", file=sys.stderr)
            return 0
        shown = [-1]

        def show(session: Any, job: Job) -> None:
            for item in job_items(session, job.id, after=shown[0]):
                print(f"{item.label}\t{item.outcome}\t{item.reason or ''}", flush=True)
                shown[0] = item.position

        app_jobs(app).run_here(job_id, listener=show)
        with get_database(app).read_sessions() as session:
            job = session.get_one(Job, job_id)
            status, error, done, failed = job.status, job.error, job.done, job.failed
    if status is not JobStatus.SUCCEEDED:
        print(f"the migration stopped: {error}", file=sys.stderr)
        return 2
    print(f"{done} files: {failed} failed", file=sys.stderr)
    return 1 if failed else 0


def _files_sweep(args: argparse.Namespace, settings: Settings) -> int:
    from files.service import builtin_storage, release_builtin  # noqa: PLC0415 - needs the app

    with _running_app() as app:
        storage = builtin_storage()
        temporary = storage.sweep_temporary_files(args.older_than_hours * 3600)
        unused = sum(
            release_builtin(get_database(app), storage, location)
            for location in list(storage.locations())
        )
    print(f"removed {temporary} temporary files and {unused} unused stored files", file=sys.stderr)
    return 0
