"""`kinabase-m365` commands for the directory pull, connecting a tenant, and the job worker.

    directory groups --org ID
    directory candidates --org ID [--group G] [--search S]
    directory import --org ID (--user UPN... | --all | --group G) [--type T] [--role R...]
    directory sync --org ID
    org connect --org ID --tenant TENANT_ID
    worker [--workers N]

Import and sync run here, in this process, as the same jobs a worker runs (their progress is in
the database for the admin pages too). On a terminal a progress bar (tqdm: one small dependency,
no rendering engine, drawn on stderr) shows them; otherwise each user gets one line on stdout:
userPrincipalName, outcome, reason. A job that fails (no seats, consent missing) prints one line
on stderr and exits with status 2; users that failed make the status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import requests
from flask import Flask
from sqlalchemy.orm import Session
from tqdm import tqdm

from directory.jobs import explain, start_import, start_sync
from directory.listing import directory_users, security_groups
from directory.operations import Choice, candidates, tenant_of
from graph.errors import MicrosoftError
from jobs.models import Job, JobStatus
from jobs.progress import job_items
from jobs.queue import app_jobs, run_worker
from kinabase.organisations import bind_entra_tenant, get_organisation
from kinabase.users import UserType
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from kinabase_m365.settings import Settings

UnitOfWork = Callable[[Settings], AbstractContextManager[Session]]
FAILED_USERS = 1
REFUSED = 2


class PullRefused(Exception):
    """Microsoft refused, or the job failed: one line on stderr, status 2."""


def add_directory_pull_commands(commands: Any, org_actions: Any, unit_of_work: UnitOfWork) -> None:
    """Add `directory …`, `org connect` and `worker` to the CLI."""
    directory = commands.add_parser("directory", help="pull users from Microsoft 365 (Sync now)")
    actions = directory.add_subparsers(
        required=True, metavar="ACTION", parser_class=type(directory)
    )

    groups = _with_org(actions.add_parser("groups", help="the directory's security groups"))
    groups.add_argument("--search", help="names starting with this")
    groups.set_defaults(handler=_groups)

    listed = _with_org(actions.add_parser("candidates", help="directory users not in Kinabase"))
    listed.add_argument("--group", help="members of this security group (object id or name)")
    listed.add_argument("--search", help="name, mail or userPrincipalName starting with this")
    listed.set_defaults(handler=_candidates)

    imported = _with_org(actions.add_parser("import", help="add directory users to Kinabase"))
    which = imported.add_mutually_exclusive_group(required=True)
    which.add_argument("--user", nargs="+", action="extend", metavar="UPN", help="UPN or object id")
    which.add_argument("--all", action="store_true", help="every enabled directory user")
    which.add_argument("--group", help="the members of a security group (object id or name)")
    imported.add_argument("--type", choices=[t.value for t in UserType], help="user type")
    imported.add_argument("--role", action="append", default=[], metavar="NAME", help="(repeat)")
    imported.set_defaults(handler=_import, unit_of_work=unit_of_work)

    synced = _with_org(actions.add_parser("sync", help="update the users Kinabase has"))
    synced.set_defaults(handler=_sync, unit_of_work=unit_of_work)

    connect = org_actions.add_parser("connect", help="bind an organisation to its Entra tenant")
    connect.add_argument("--org", type=int, required=True, help="organisation id")
    connect.add_argument("--tenant", required=True, metavar="TENANT_ID", type=_tenant_id)
    connect.set_defaults(handler=_connect, unit_of_work=unit_of_work)

    worker = commands.add_parser("worker", help="run the background job worker (Huey consumer)")
    worker.add_argument("--workers", type=int, default=2, help="worker threads")
    worker.set_defaults(handler=_worker)


def _with_org(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--org", type=int, required=True, help="organisation id")
    return parser


def _tenant_id(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise argparse.ArgumentTypeError("a tenant id is a GUID") from None


@contextmanager
def _app(args: argparse.Namespace, *, quiet: bool = True) -> Iterator[Flask]:
    """The service for a command, its database connections closed afterwards; `quiet` keeps
    start-up warnings (PUBLIC_BASE_URL unset, which app-only Graph reads do not need) off
    stderr, which is for the command's own line, unless LOG_LEVEL asks for them."""
    http: requests.Session | None = getattr(args, "http_session", None)
    overrides = {"log_level": "ERROR"} if quiet and "LOG_LEVEL" not in os.environ else None
    app = create_app(overrides, http_session=http)
    try:
        yield app
    finally:
        get_database(app).engine.dispose()


def _groups(args: argparse.Namespace, settings: Settings) -> int:
    with _app(args) as app, app.app_context(), get_database(app).read_sessions() as session:
        tenant = tenant_of(session, args.org)
        for group in _refusals(lambda: security_groups(tenant, args.search)):
            print(f"{group.id}\t{group.display_name}")
    return 0


def _candidates(args: argparse.Namespace, settings: Settings) -> int:
    with _app(args) as app, app.app_context(), get_database(app).read_sessions() as session:
        tenant = tenant_of(session, args.org)

        def listed() -> None:
            users = directory_users(tenant, args.search, args.group)
            for user in candidates(session, args.org, users):
                print(f"{user.id}\t{user.user_principal_name}\t{user.display_name or ''}")

        _refusals(listed)
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    choice = Choice(UserType(args.type) if args.type else None, tuple(args.role))
    with args.unit_of_work(settings) as session:
        job = start_import(
            session,
            args.org,
            users=[(user, choice) for user in args.user or ()],
            everyone=args.all,
            group=args.group,
            default=choice,
        )
        job_id = job.id
    return _run(args, job_id)


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    with args.unit_of_work(settings) as session:
        job_id = start_sync(session, args.org).id
    return _run(args, job_id)


def _connect(args: argparse.Namespace, settings: Settings) -> int:
    with args.unit_of_work(settings) as session:
        bind_entra_tenant(session, get_organisation(session, args.org), args.tenant)
    print(f"organisation {args.org} is connected to tenant {args.tenant}", file=sys.stderr)
    return 0


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    with _app(args, quiet=False) as app:
        run_worker(app, workers=args.workers)
    return 0


def _run(args: argparse.Namespace, job_id: int) -> int:
    """Run the job here, showing its progress; the exit status says how it went."""
    show = _Progress()
    with _app(args) as app:
        try:
            app_jobs(app).run_here(job_id, listener=show)
        finally:
            show.close()
        with get_database(app).read_sessions() as session:
            job = session.get_one(Job, job_id)
            status, error, done, failed = job.status, job.error, job.done, job.failed
    if status is not JobStatus.SUCCEEDED:
        raise PullRefused(error or "the job did not finish")
    print(f"{done} users: {failed} failed", file=sys.stderr)
    return FAILED_USERS if failed else 0


class _Progress:
    """A progress bar on a terminal; else one line per user as the job records it."""

    def __init__(self) -> None:
        self.terminal = sys.stderr.isatty()
        self.bar: tqdm[Any] | None = None
        self.shown = -1

    def __call__(self, session: Session, job: Job) -> None:
        if self.terminal:
            if self.bar is None:
                self.bar = tqdm(total=job.total, unit="user", file=sys.stderr)
            self.bar.total = job.total
            self.bar.set_description(job.step)
            self.bar.update(job.done - self.bar.n)
            return
        for item in job_items(session, job.id, after=self.shown):
            print(f"{item.label}\t{item.outcome}\t{item.reason or ''}", flush=True)
            self.shown = item.position

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _refusals(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except MicrosoftError as error:
        raise PullRefused(explain(error)) from error
