"""Import and Sync as background jobs: the Graph reads between short transactions, each
directory user's outcome recorded with the work it describes.

- **Import** brings in chosen users (by object id or userPrincipalName, each with a user type and
  roles), every enabled user of the directory (`all`), or the members of a security group
  (`group`). The seats it needs are counted first, streaming the directory, and a shortfall fails
  the job before anything is written, saying how many seats are missing. Users are written in
  batches; in a batch each user has a savepoint, so a refusal is that user's outcome. Managers
  imported after their reports are linked in a last pass; then the security groups that group
  rules name are pulled.
- **Sync** updates the users Kinabase already has (name, job title, department, manager, photo,
  status) and adds no one; users disabled in Microsoft 365 are deactivated, and users it no
  longer has are reported and deactivated. It reads Graph's user delta: with the link the last
  sync stored (`directory.delta_links`), only the users added, changed or removed since; without
  one, or when Graph answers 410 for it, a first round of every user, after which linked users
  it did not list (and Graph answers 404 for) count as deleted. Then the rules' groups are
  pulled, which gives and takes back group-based roles.

Running an import again creates nothing twice: every user is matched first. A job resumed after
its worker died skips the users it recorded.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, Literal

from sqlalchemy.orm import Session

from directory.delta_links import store_delta_link, stored_delta_link
from directory.errors import UnknownGroup
from directory.operations import (
    BATCH,
    Choice,
    UserOutcome,
    check_choice,
    deactivate_deleted,
    ensure_seats,
    in_batches,
    matches,
    pull_group,
    seats_needed,
    tenant_of,
    write_user,
)
from graph import directory as graph_directory
from graph.directory import GraphGroup, GraphUser, RemovedUser
from graph.errors import DeltaExpired, MicrosoftError, TokenRefused
from jobs.models import Job
from jobs.progress import ItemOutcome, create_job
from jobs.runner import Handler, JobRun
from kinabase.errors import DomainError
from kinabase.users import UserStatus, UserType
from scim_server.protocol.errors import ScimError
from scim_server.provisioning.matching import (
    DirectoryKey,
    count_linked_users,
    linked_directory_users,
    match_directory_users,
)
from scim_server.provisioning.rules import rules

log = logging.getLogger(__name__)

IMPORT = "directory.import"
SYNC = "directory.sync"
SMALL_GROUP = 100
ITEM_REFUSALS = (ScimError, DomainError, MicrosoftError)
Photo = bytes | None | Literal[False]


def start_import(
    session: Session,
    org_id: int,
    *,
    users: Sequence[tuple[str, Choice]] = (),
    everyone: bool = False,
    group: str | None = None,
    default: Choice | None = None,
) -> Job:
    """A queued import job, after the checks that need no Graph: the organisation is connected,
    the roles exist, and the chosen users leave enough seats even counting only those not
    already active in Kinabase (SeatShortfall). The caller commits, then enqueues."""
    tenant_of(session, org_id)
    default = default or Choice()
    for choice in [default, *(choice for _, choice in users)]:
        check_choice(session, org_id, choice)
    if users:
        keys = [DirectoryKey(wanted, wanted) for wanted, _ in users]
        found = match_directory_users(session, org_id, keys)
        active = sum(1 for m in found.values() if m.kinabase_status is UserStatus.ACTIVE)
        ensure_seats(session, org_id, len(users) - active)
    request = {
        "users": [{"user": wanted, **_choice_json(choice)} for wanted, choice in users],
        "all": everyone,
        "group": group,
        "default": _choice_json(default),
    }
    return create_job(session, org_id, IMPORT, request)


def start_sync(session: Session, org_id: int) -> Job:
    """A queued sync job for a connected organisation; the caller commits, then enqueues."""
    tenant_of(session, org_id)
    return create_job(session, org_id, SYNC, {})


def run_import(run: JobRun) -> None:
    """The import job's handler."""
    with _reading(run) as session:
        tenant = tenant_of(session, run.org_id)
    unknown: list[str] = []
    targets = _import_targets(run, tenant, unknown)

    run.step("counting the seats the import needs")
    needed = total = 0
    for batch in in_batches(user for user, _ in targets() if not run.already_done(user.id)):
        with _reading(run) as session:
            needed += seats_needed(session, run.org_id, batch)
        total += len(batch)
    with _reading(run) as session:
        ensure_seats(session, run.org_id, needed)

    run.step("importing users", total=total + len(unknown))
    missing = [wanted for wanted in unknown if not run.already_done(wanted)]
    if missing:
        with run.transaction() as session:
            not_found = [ItemOutcome(w, w, "failed", "not in the directory") for w in missing]
            run.record(session, not_found)
    late_managers = 0
    for pairs in _batches_of_pairs(targets()):
        todo = [(user, choice) for user, choice in pairs if not run.already_done(user.id)]
        photos = _photos(tenant, [user for user, _ in todo])
        with run.transaction() as session:
            outcomes = []
            for user, choice in todo:
                write = partial(
                    write_user,
                    org_id=run.org_id,
                    user=user,
                    create=True,
                    choice=choice,
                    photo=photos[user.id],
                )
                outcome = _each(session, user, write)
                outcomes.append(outcome)
                if outcome.manager_missing:
                    late_managers += 1
            run.record(session, [_item(outcome) for outcome in outcomes])
    if late_managers:
        _link_managers(run, targets)
    _pull_rule_groups(run, tenant)


def run_sync(run: JobRun) -> None:
    """The sync job's handler: the changes since the last sync when there is a delta link,
    else (or when Graph forgot it) the whole directory; then the rules' groups."""
    with _reading(run) as session:
        tenant = tenant_of(session, run.org_id)
        total = count_linked_users(session, run.org_id)
        link = stored_delta_link(session, run.org_id, tenant)
    next_link: str | None = None
    if link is not None:
        run.step("updating the users changed in Microsoft 365 since the last sync", total=total)
        try:
            next_link = _sync_changes(run, tenant, link)
        except DeltaExpired:
            log.info("org %s: Graph no longer knows the delta link; reading everyone", run.org_id)
    if next_link is None:
        run.step("updating the users Kinabase has", total=total)
        next_link = _sync_everyone(run, tenant)
    with run.transaction() as session:
        store_delta_link(session, run.org_id, tenant, next_link)
    _pull_rule_groups(run, tenant)


def _sync_changes(run: JobRun, tenant: str, link: str) -> str:
    """Write the changes of the delta round after `link`; the round's next link."""
    changes = graph_directory.DeltaRound(tenant, link)
    iterator = iter(changes)
    while batch := list(itertools.islice(iterator, BATCH)):
        _update_linked(run, tenant, [c for c in batch if isinstance(c, GraphUser)])
        removed = [c.id for c in batch if isinstance(c, RemovedUser)]
        if removed:
            _deactivate_removed(run, removed)
    assert changes.delta_link is not None  # noqa: S101 - set once the round is read
    return changes.delta_link


def _sync_everyone(run: JobRun, tenant: str) -> str:
    """A first delta round (every user): write the linked ones, then deactivate the linked
    users it did not list and Graph answers 404 for; the round's link.

    Each linked user the round lists gets an item of the job, whatever its outcome, so "not
    listed" is "no item": read from `job_items` page by page, not kept in memory.
    """
    everyone = graph_directory.DeltaRound(tenant, None)
    iterator = iter(everyone)
    while batch := list(itertools.islice(iterator, BATCH)):
        _update_linked(run, tenant, [c for c in batch if isinstance(c, GraphUser)])
    assert everyone.delta_link is not None  # noqa: S101 - set once the round is read

    run.step("looking for users deleted from Microsoft 365")
    with _reading(run) as session:
        linked = linked_directory_users(session, run.org_id)
        while page := list(itertools.islice(linked, BATCH)):
            listed = run.recorded([object_id for object_id, _, _ in page])
            for object_id, scim_id, _ in page:
                if object_id in listed or graph_directory.get_user(tenant, object_id):
                    continue  # listed, or created after the listing began
                with run.transaction() as writing:
                    deactivate = partial(
                        deactivate_deleted, org_id=run.org_id, object_id=object_id, scim_id=scim_id
                    )
                    outcome = _each_id(writing, object_id, deactivate)
                    run.record(writing, [_item(outcome)])
    return everyone.delta_link


def _update_linked(run: JobRun, tenant: str, batch: Sequence[GraphUser]) -> None:
    """Update the Kinabase users that these directory users stand for (adding no one)."""
    if not batch:
        return
    with _reading(run) as session:
        found = matches(session, run.org_id, batch)
    linked = [
        user
        for user in batch
        if user.id in found
        and found[user.id].kinabase_user_id is not None
        and not run.already_done(user.id)
    ]
    if not linked:
        return
    photos = _photos(tenant, linked)
    with run.transaction() as session:
        outcomes = [
            _each(
                session,
                user,
                partial(
                    write_user,
                    org_id=run.org_id,
                    user=user,
                    create=False,
                    photo=photos[user.id],
                ),
            )
            for user in linked
        ]
        run.record(session, [_item(outcome) for outcome in outcomes])


def _deactivate_removed(run: JobRun, object_ids: Sequence[str]) -> None:
    """Deactivate the active Kinabase users of directory users a delta round reports removed."""
    with _reading(run) as session:
        found = match_directory_users(
            session, run.org_id, [DirectoryKey(i, "") for i in object_ids]
        )
    for object_id in object_ids:
        match = found.get(object_id)
        if (
            match is None
            or match.kinabase_status is not UserStatus.ACTIVE
            or run.already_done(object_id)
        ):
            continue
        with run.transaction() as session:
            deactivate = partial(
                deactivate_deleted,
                org_id=run.org_id,
                object_id=object_id,
                scim_id=match.stored.row.id,
            )
            outcome = _each_id(session, object_id, deactivate)
            run.record(session, [_item(outcome)])


def _explained(handler: Handler) -> Handler:
    def run(job: JobRun) -> None:
        try:
            handler(job)
        except TokenRefused as error:
            raise DomainError(explain(error)) from error

    return run


HANDLERS: Mapping[str, Handler] = {IMPORT: _explained(run_import), SYNC: _explained(run_sync)}


def explain(error: Exception) -> str:
    """What an Administrator reads when Microsoft refused the pull."""
    if isinstance(error, TokenRefused):
        return (
            "Microsoft 365 refused the app a token for this tenant: admin consent is missing or "
            f"was withdrawn; an Administrator connects Microsoft 365 again ({error.message})"
        )
    return str(error)


def _import_targets(
    run: JobRun, tenant: str, unknown: list[str]
) -> Callable[[], Iterator[tuple[GraphUser, Choice]]]:
    """The users the import asks for, read from Graph each time it is called; chosen users the
    directory does not have are listed in `unknown` (the first time)."""
    request = run.request
    default = _choice_of(request.get("default", {}))

    def chosen() -> Iterator[tuple[GraphUser, Choice]]:
        for entry in request.get("users", []):
            user = graph_directory.get_user(tenant, entry["user"])
            if user is None:
                if entry["user"] not in unknown:
                    unknown.append(entry["user"])
                continue
            yield user, _choice_of(entry)

    def everyone() -> Iterator[tuple[GraphUser, Choice]]:
        for user in graph_directory.iter_users(tenant):
            if user.account_enabled:
                yield user, default

    def members() -> Iterator[tuple[GraphUser, Choice]]:
        for user in group_members(tenant, str(request["group"])):
            yield user, default

    if request.get("group"):
        return members
    return everyone if request.get("all") else chosen


def group_members(tenant: str, group_name: str) -> Iterator[GraphUser]:
    """The enabled members of a security group, through nested groups, each with their manager.

    Transitive members come without their manager: a small group's members are read one by one
    with it, a large group's picked out of the users listing.
    """
    group = find_group(tenant, group_name)
    ids = {user.id for user in graph_directory.iter_group_users(tenant, group.id)}
    if len(ids) <= SMALL_GROUP:
        listed: Iterator[GraphUser | None] = (
            graph_directory.get_user(tenant, member) for member in sorted(ids)
        )
    else:
        listed = (u for u in graph_directory.iter_users(tenant) if u.id in ids)
    for user in listed:
        if user is not None and user.account_enabled:
            yield user


def find_group(tenant: str, wanted: str) -> GraphGroup:
    """The security group with this object id or display name (ignoring case)."""
    search = None if _looks_like_id(wanted) else wanted
    for group in graph_directory.iter_security_groups(tenant, search=search):
        if wanted.lower() in (group.id.lower(), group.display_name.lower()):
            return group
    raise UnknownGroup(f"no security group {wanted!r} in the directory")


def _link_managers(run: JobRun, targets: Callable[[], Iterator[tuple[GraphUser, Choice]]]) -> None:
    """Users whose manager came later in the import: write them again, now that it exists.

    They are found again in the store (a directory manager, no stored one), not remembered:
    the worker holds nothing per user.
    """
    run.step("linking managers")
    for batch in _batches_of_pairs(targets()):
        with _reading(run) as session:
            found = matches(session, run.org_id, [user for user, _ in batch if user.manager_id])
        again = [
            user
            for user, _ in batch
            if user.id in found and found[user.id].stored.manager_id is None
        ]
        if not again:
            continue
        with run.transaction() as session:
            for user in again:
                write = partial(write_user, org_id=run.org_id, user=user, create=False)
                _each(session, user, write)


def _pull_rule_groups(run: JobRun, tenant: str) -> None:
    """Pull the security groups that the organisation's group rules name."""
    with _reading(run) as session:
        named = [
            rule.group_external_id or rule.group_display_name or ""
            for rule in rules(session, run.org_id)
            if rule.app_role is None
        ]
    for wanted in sorted(set(filter(None, named))):
        run.step(f"pulling security group {wanted}")
        try:
            group = find_group(tenant, wanted)
        except UnknownGroup:
            log.info(
                "org %s: rule group %r is not a security group of the tenant", run.org_id, wanted
            )
            continue
        member_ids = [user.id for user in graph_directory.iter_group_users(tenant, group.id)]
        with run.transaction() as session:
            pull_group(session, run.org_id, group, member_ids)


def _each(
    session: Session, user: GraphUser, write: Callable[[Session], UserOutcome]
) -> UserOutcome:
    """One user's write in a savepoint: a refusal rolls back that user only."""
    return _each_id(session, user.id, write, user.user_principal_name)


def _each_id(
    session: Session,
    object_id: str,
    write: Callable[[Session], UserOutcome],
    label: str = "",
) -> UserOutcome:
    savepoint = session.begin_nested()
    try:
        outcome = write(session)
    except ITEM_REFUSALS as refusal:
        savepoint.rollback()
        reason = getattr(refusal, "detail", None) or str(refusal)
        return UserOutcome(object_id, label, "failed", reason)
    savepoint.commit()
    return outcome


def _photos(tenant: str, users: Sequence[GraphUser]) -> dict[str, Photo]:
    """Each user's photo (None: none; False: could not be read, so left as it is)."""
    photos: dict[str, Photo] = {}
    for user in users:
        try:
            photos[user.id] = graph_directory.user_photo(tenant, user.id)
        except MicrosoftError as error:
            log.warning("photo of %s not read: %s", user.id, error)
            photos[user.id] = False
    return photos


def _batches_of_pairs(
    pairs: Iterator[tuple[GraphUser, Choice]], size: int = 100
) -> Iterator[list[tuple[GraphUser, Choice]]]:
    batch: list[tuple[GraphUser, Choice]] = []
    for pair in pairs:
        batch.append(pair)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@contextmanager
def _reading(run: JobRun) -> Iterator[Session]:
    with run.read_sessions() as session:
        yield session


def _item(outcome: UserOutcome) -> ItemOutcome:
    return ItemOutcome(
        outcome.object_id, outcome.user_principal_name, outcome.result, outcome.reason
    )


def _choice_json(choice: Choice) -> dict[str, Any]:
    return {
        "user_type": choice.user_type.value if choice.user_type else None,
        "roles": list(choice.roles),
    }


def _choice_of(values: Mapping[str, Any]) -> Choice:
    user_type = values.get("user_type")
    return Choice(UserType(user_type) if user_type else None, tuple(values.get("roles") or ()))


def _looks_like_id(value: str) -> bool:
    parts = value.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12]
