"""Moving an organisation's files to the provider its new files go to, as a background job.

`start_migration` queues a `files.migrate` job; its handler moves every file that is not where
new files go (another provider, or another SharePoint library), one at a time:

1. copy: the source's bytes are streamed into the target (built-in: content-addressed;
   SharePoint: uploaded under `.kinabase-moving-{file id}` in the record's folder, replacing
   what an interrupted attempt left there), and their SHA-256 and size are checked against the
   file's row (SharePoint's quickXorHash is checked by the provider as it uploads);
2. switch: the file's row is made to name the copy, in one transaction that applies only if
   the row still names the source (SharePoint copies get their file's name first);
3. only then the source's bytes are deleted (built-in ones only if no other file shares them),
   and the file's outcome is recorded, with its progress, in the transaction that removes its
   `file_moves` row.

Each step's state is committed before the next begins (files/moves.py), so a worker killed at
any point leaves a job that the next worker resumes (jobs/queue.py): files recorded are skipped,
a file in the middle of its move goes on from its state, and nothing is copied twice or left
behind. A file deleted by its user during its move is "skipped" and its copy deleted. A file
that cannot be moved (its bytes are missing, do not match its hashes, or are over the target's
size limit) is "failed" with the reason and stays where it is. Microsoft refusing the app, or
being unreachable, stops the job; the moves it began are finished by the next migration job.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from files.moves import FileMove, MoveState, delete_move
from files.service import builtin_storage, release_builtin, storage_for
from graph.errors import (
    ConsentMissing,
    GraphRequestFailed,
    MicrosoftUnavailable,
    NotConfigured,
    TokenRefused,
)
from graph.sharepoint_storage import FOLDER, SharePointStorage
from jobs.models import Job, JobStatus
from jobs.progress import ItemOutcome, create_job
from jobs.runner import Handler, JobRun
from kinabase.errors import (
    DomainError,
    FileTooLarge,
    IncompleteUpload,
    InvalidSetting,
    StorageFailed,
)
from kinabase.files import StoredFile
from kinabase.organisations import (
    FileStorageProvider,
    Organisation,
    get_organisation,
    set_file_storage,
)
from kinabase.storage import ChunkStream, FileStorage, StoredBytes
from kinabase_m365.database import Database, get_database
from kinabase_m365.runtime import current_settings

log = logging.getLogger(__name__)

MIGRATE = "files.migrate"
STAGING_PREFIX = ".kinabase-moving-"
# What fails one file (it stays where it is); anything else from Microsoft stops the job.
FILE_REFUSALS = (StorageFailed, IncompleteUpload, FileTooLarge, GraphRequestFailed)
JOB_REFUSALS = (ConsentMissing, TokenRefused, NotConfigured, MicrosoftUnavailable)


class MigrationRunning(DomainError):
    """The organisation's files are being moved already."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        super().__init__(f"a migration of this organisation's files is under way (job {job_id})")


def start_migration(session: Session, org_id: int, to: FileStorageProvider | None = None) -> Job:
    """A queued job moving the organisation's files to where its new files go; with `to`, new
    files go there from now on (SharePoint: to the library chosen before). InvalidSetting if
    that provider cannot be used, MigrationRunning if a migration is queued or running. The
    caller commits, then enqueues."""
    # The organisation's row is locked, so that two requests cannot both find none under way
    # (PostgreSQL; SQLite's writers are one at a time already).
    session.execute(select(Organisation.id).where(Organisation.id == org_id).with_for_update())
    organisation = get_organisation(session, org_id)
    if to is not None and to is not organisation.file_storage_provider:
        set_file_storage(
            organisation,
            to,
            site_id=organisation.sharepoint_site_id,
            drive_id=organisation.sharepoint_drive_id,
        )
    running = running_migration(session, org_id)
    if running is not None:
        raise MigrationRunning(running.id)
    target = organisation.file_storage_provider
    sharepoint = target is FileStorageProvider.SHAREPOINT
    request = {
        "to": target.value,
        "drive": organisation.sharepoint_drive_id if sharepoint else None,
    }
    return create_job(session, org_id, MIGRATE, request)


def running_migration(session: Session, org_id: int) -> Job | None:
    """The organisation's migration that is queued or running, if any."""
    return session.scalars(
        select(Job)
        .where(
            Job.org_id == org_id,
            Job.kind == MIGRATE,
            Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
        )
        .order_by(Job.id.desc())
    ).first()


def latest_migration(session: Session, org_id: int) -> Job | None:
    """The organisation's most recent migration job, if any."""
    return session.scalars(
        select(Job).where(Job.org_id == org_id, Job.kind == MIGRATE).order_by(Job.id.desc())
    ).first()


def staging_path(record_id: int, file_id: int) -> str:
    """Where a file's SharePoint copy is uploaded before it gets its name: a name uploads of
    users never take (`sharepoint_name` strips leading dots)."""
    return f"{FOLDER}/record-{record_id}/{STAGING_PREFIX}{file_id}"


@dataclass(frozen=True)
class Target:
    """Where the job moves files: a provider, and for SharePoint the library."""

    provider: FileStorageProvider
    drive_id: str | None

    def holds(self, provider: FileStorageProvider, location: str) -> bool:
        """Whether bytes at this provider and location are where the job moves files."""
        if provider is not self.provider:
            return False
        return provider is FileStorageProvider.BUILTIN or location.startswith(f"{self.drive_id}/")


@dataclass(frozen=True)
class Move:
    """A file's move as read at the start of a step."""

    file_id: int
    state: MoveState
    source_provider: FileStorageProvider
    source_location: str
    target: Target
    target_location: str | None
    target_quick_xor_hash: str | None

    @classmethod
    def of(cls, row: FileMove) -> Move:
        """The move of a `file_moves` row."""
        return cls(
            row.file_id,
            row.state,
            row.source_provider,
            row.source_location,
            Target(row.target_provider, row.target_drive_id),
            row.target_location,
            row.target_quick_xor_hash,
        )


@dataclass(frozen=True)
class FileFacts:
    """What a move needs to know of the file."""

    id: int
    record_id: int
    name: str
    size: int
    sha256: str
    quick_xor_hash: str | None
    provider: FileStorageProvider
    location: str

    @classmethod
    def of(cls, row: StoredFile) -> FileFacts:
        """The facts of a file's row."""
        return cls(
            row.id,
            row.record_id,
            row.name,
            row.size,
            row.sha256,
            row.quick_xor_hash,
            row.provider,
            row.location,
        )


class Migration:
    """One run of a migration job over one organisation's files."""

    def __init__(self, run: JobRun, database: Database) -> None:
        self.run = run
        self.database = database
        self.target = Target(FileStorageProvider(run.request["to"]), run.request.get("drive"))
        with run.read_sessions() as session:
            self.organisation = get_organisation(session, run.org_id)
            session.expunge(self.organisation)

    def storage(self, provider: FileStorageProvider) -> FileStorage:
        """The organisation's provider of this kind (reading and deleting any location)."""
        return storage_for(provider, self.organisation)

    def sharepoint(self, drive_id: str | None) -> SharePointStorage:
        """The SharePoint provider writing to the library `drive_id`."""
        tenant = self.organisation.entra_tenant_id
        if tenant is None:
            raise InvalidSetting("the organisation is not connected to Microsoft 365")
        return SharePointStorage(tenant, drive_id, current_settings().files_max_bytes)

    # -- the job ------------------------------------------------------------------------------

    def run_all(self) -> None:
        """Finish moves begun before, then move every file not at the target."""
        if self.target.provider is FileStorageProvider.SHAREPOINT and not self.target.drive_id:
            raise InvalidSetting("no SharePoint document library is chosen")
        with self.run.read_sessions() as session:
            begun = list(
                session.scalars(
                    select(FileMove.file_id)
                    .where(FileMove.org_id == self.run.org_id)
                    .order_by(FileMove.file_id)
                )
            )
            leftover = set(begun)
            waiting = [
                file_id
                for file_id, provider, location in session.execute(
                    select(StoredFile.id, StoredFile.provider, StoredFile.location)
                    .where(StoredFile.org_id == self.run.org_id)
                    .order_by(StoredFile.id)
                )
                if not self.target.holds(provider, location) and file_id not in leftover
            ]
            done = session.get_one(Job, self.run.job_id).done
        todo = [f for f in [*begun, *waiting] if not self.run.already_done(str(f))]
        self.run.step(f"moving files to {self.target.provider.value}", total=done + len(todo))
        for file_id in todo:
            self.move_file(file_id)

    def move_file(self, file_id: int) -> None:
        """Take one file through its move's steps, from wherever it stands."""
        move = self.begin(file_id)
        try:
            while move is not None:
                move = self.next_step(move)
        except FILE_REFUSALS as error:
            self.give_up(file_id, str(error) or type(error).__name__)

    def begin(self, file_id: int) -> Move | None:
        """The file's move: the one begun before, or a new one (committed before any copying);
        None if there is nothing to move."""
        with self.run.transaction() as session:
            row = session.get(FileMove, file_id)
            if row is not None:
                return Move.of(row)
            stored = self.file(session, file_id)
            if stored is None or self.target.holds(stored.provider, stored.location):
                label, reason = (
                    ("", "deleted before its move")
                    if stored is None
                    else (stored.name, "already where new files go")
                )
                self.run.record(session, [ItemOutcome(str(file_id), label, "skipped", reason)])
                return None
            row = FileMove(
                job_id=self.run.job_id,
                file_id=file_id,
                org_id=self.run.org_id,
                state=MoveState.COPYING,
                source_provider=stored.provider,
                source_location=stored.location,
                target_provider=self.target.provider,
                target_drive_id=self.target.drive_id,
            )
            session.add(row)
            session.flush()
            return Move.of(row)

    def next_step(self, move: Move) -> Move | None:
        """Do the move's next step; the move as it then stands, or None when it is finished."""
        if move.state is MoveState.SWITCHED:
            self.delete_source(move)
            return None
        if move.target != self.target:  # begun by a job with another target: undone first
            self.remove_copy(move)
            with self.run.transaction() as session:
                session.execute(delete_move(move.file_id))
            return self.begin(move.file_id)
        if move.state is MoveState.COPYING:
            if move.target.provider is FileStorageProvider.BUILTIN:
                return self.copy_to_builtin(move)
            return self.copy_to_sharepoint(move)
        return self.switch_to_sharepoint(move)

    # -- steps --------------------------------------------------------------------------------

    def copy_from_source(self, move: Move, stored: FileFacts, target: FileStorage) -> StoredBytes:
        """Stream the source's bytes into the target; the StoredBytes, checked."""
        source = self.storage(move.source_provider).open(move.source_location)
        if isinstance(target, SharePointStorage):
            copied = target.put_at(
                ChunkStream(source),
                size=stored.size,
                path=staging_path(stored.record_id, stored.id),
                conflict_behavior="replace",
            )
        else:
            copied = target.put(
                ChunkStream(source),
                size=stored.size,
                org_id=self.run.org_id,
                record_id=stored.record_id,
                name=stored.name,
            )
        if copied.size != stored.size or copied.sha256 != stored.sha256:
            target.discard(copied)
            raise StorageFailed(
                f"the bytes read from {move.source_provider.value} have SHA-256 "
                f"{copied.sha256}, not the file's {stored.sha256}"
            )
        return copied

    def copy_to_builtin(self, move: Move) -> Move | None:
        """Copy into the built-in storage and switch the row while the bytes' lock is held."""
        stored = self.current_file(move)
        if stored is None:
            self.skip(move)
            return None
        storage = builtin_storage()
        copied = self.copy_from_source(move, stored, storage)
        location = copied.location
        with storage.recording(copied), self.run.transaction() as session:
            switched = self.switch(session, move, location, stored.quick_xor_hash)
            if switched:
                session.execute(
                    update(FileMove)
                    .where(FileMove.file_id == move.file_id)
                    .values(state=MoveState.SWITCHED, target_location=location)
                )
        if not switched:  # deleted by its user meanwhile
            release_builtin(self.database, storage, location)
            self.skip(move)
            return None
        return _with(move, MoveState.SWITCHED, location)

    def copy_to_sharepoint(self, move: Move) -> Move | None:
        """Upload under the staging name and remember where the copy is."""
        stored = self.current_file(move)
        if stored is None:
            self.skip(move)
            return None
        target = self.sharepoint(move.target.drive_id)
        copied = self.copy_from_source(move, stored, target)
        location, quick_xor = copied.location, copied.quick_xor_hash
        with self.run.transaction() as session:
            session.execute(
                update(FileMove)
                .where(FileMove.file_id == move.file_id)
                .values(
                    state=MoveState.COPIED,
                    target_location=location,
                    target_quick_xor_hash=quick_xor,
                )
            )
        return Move(
            move.file_id,
            MoveState.COPIED,
            move.source_provider,
            move.source_location,
            move.target,
            location,
            quick_xor,
        )

    def switch_to_sharepoint(self, move: Move) -> Move | None:
        """Check the copy, give it the file's name, and switch the row to it."""
        target = self.sharepoint(move.target.drive_id)
        stored = self.current_file(move)
        location = move.target_location or ""
        item = target.item(location) if location else None
        if item is None or item.quick_xor_hash != move.target_quick_xor_hash:
            if item is not None:
                target.delete(location)
            with self.run.transaction() as session:  # copy again
                session.execute(
                    update(FileMove)
                    .where(FileMove.file_id == move.file_id)
                    .values(state=MoveState.COPYING, target_location=None)
                )
            return _with(move, MoveState.COPYING, None)
        if stored is None:
            target.delete(location)
            self.skip(move)
            return None
        if item.name.startswith(STAGING_PREFIX):
            target.rename(location, stored.name)
        with self.run.transaction() as session:
            switched = self.switch(session, move, location, item.quick_xor_hash)
            if switched:
                session.execute(
                    update(FileMove)
                    .where(FileMove.file_id == move.file_id)
                    .values(state=MoveState.SWITCHED)
                )
        if not switched:
            target.delete(location)
            self.skip(move)
            return None
        return _with(move, MoveState.SWITCHED, location)

    def switch(
        self, session: Session, move: Move, location: str, quick_xor_hash: str | None
    ) -> bool:
        """Make the file's row name the copy, if it still names the source."""
        result = session.execute(
            update(StoredFile)
            .where(
                StoredFile.id == move.file_id,
                StoredFile.org_id == self.run.org_id,
                StoredFile.provider == move.source_provider,
                StoredFile.location == move.source_location,
            )
            .values(
                provider=move.target.provider,
                location=location,
                quick_xor_hash=quick_xor_hash,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    def delete_source(self, move: Move) -> None:
        """Delete the source's bytes, then record the file as moved."""
        if move.source_provider is FileStorageProvider.BUILTIN:
            release_builtin(self.database, builtin_storage(), move.source_location)
        else:
            self.storage(FileStorageProvider.SHAREPOINT).delete(move.source_location)
        with self.run.transaction() as session:
            session.execute(delete_move(move.file_id))
            self.record(session, move, "moved", None)

    def remove_copy(self, move: Move) -> None:
        """Delete a copy that will not be switched to (none may exist yet)."""
        if move.state is MoveState.SWITCHED:
            return
        if move.target.provider is FileStorageProvider.BUILTIN:
            if move.target_location is not None:
                release_builtin(self.database, builtin_storage(), move.target_location)
            return
        target = self.sharepoint(move.target.drive_id)
        if move.target_location is not None:
            target.delete(move.target_location)
            return
        with self.run.read_sessions() as session:
            stored = session.get(StoredFile, move.file_id)
            record_id = stored.record_id if stored is not None else None
        if record_id is not None and move.target.drive_id is not None:
            staged = target.item_at(staging_path(record_id, move.file_id))
            if staged is not None:
                target.delete(f"{move.target.drive_id}/{staged.id}")

    def skip(self, move: Move) -> None:
        """The file was deleted during its move: its copy is gone; record it."""
        with self.run.transaction() as session:
            session.execute(delete_move(move.file_id))
            self.record(session, move, "skipped", "deleted by its user during its move")

    def give_up(self, file_id: int, reason: str) -> None:
        """The file cannot be moved: its copy is removed, and why is recorded; it stays where it
        is. A move already switched, or whose copy cannot be removed, is kept for a later
        migration job to finish."""
        with self.run.read_sessions() as session:
            row = session.get(FileMove, file_id)
            move = Move.of(row) if row is not None else None
        keep = move is not None and move.state is MoveState.SWITCHED
        if move is not None and not keep:
            try:
                self.remove_copy(move)
            except FILE_REFUSALS:
                log.warning("file %s: its copy could not be removed", file_id, exc_info=True)
                keep = True
        with self.run.transaction() as session:
            if move is not None and not keep:
                session.execute(delete_move(file_id))
            stored = session.get(StoredFile, file_id)
            label = stored.name if stored is not None else ""
            self.run.record(session, [ItemOutcome(str(file_id), label, "failed", reason)])

    # -- reading ------------------------------------------------------------------------------

    def file(self, session: Session, file_id: int) -> FileFacts | None:
        """The organisation's file, if it still exists."""
        row = session.scalars(
            select(StoredFile).where(StoredFile.id == file_id, StoredFile.org_id == self.run.org_id)
        ).one_or_none()
        return FileFacts.of(row) if row is not None else None

    def current_file(self, move: Move) -> FileFacts | None:
        """The file, if it still exists and still names the move's source."""
        with self.run.read_sessions() as session:
            stored = self.file(session, move.file_id)
        if stored is None or (stored.provider, stored.location) != (
            move.source_provider,
            move.source_location,
        ):
            return None
        return stored

    def record(self, session: Session, move: Move, outcome: str, reason: str | None) -> None:
        """Record the file's outcome (labelled with its name) in this transaction."""
        stored = session.get(StoredFile, move.file_id)
        label = stored.name if stored is not None else ""
        self.run.record(session, [ItemOutcome(str(move.file_id), label, outcome, reason)])


def _with(move: Move, state: MoveState, location: str | None) -> Move:
    return Move(
        move.file_id,
        state,
        move.source_provider,
        move.source_location,
        move.target,
        location,
        move.target_quick_xor_hash,
    )


def run_migration(run: JobRun) -> None:
    """The migration job's handler."""
    try:
        Migration(run, get_database()).run_all()
    except JOB_REFUSALS as error:
        raise DomainError(explain(error)) from error


def explain(error: Exception) -> str:
    """What an Administrator reads when Microsoft refused or failed the migration."""
    if isinstance(error, TokenRefused | ConsentMissing):
        return (
            "Microsoft 365 refused the app access to SharePoint: an Administrator grants consent "
            f"again (Identity & Provisioning → Connect Microsoft 365). {error.message}"
        )
    return getattr(error, "message", None) or str(error)


HANDLERS: Mapping[str, Handler] = {MIGRATE: run_migration}
