"""What the Sync now dialog lists: the directory's users not yet in Kinabase, and its security
groups. Read from Graph as the request asks, never stored."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

from directory.jobs import find_group
from directory.operations import candidates
from graph import directory as graph_directory
from graph.directory import GraphGroup, GraphUser


@dataclass(frozen=True)
class CandidatePage:
    """One page of candidates, and where the next one starts (None: this is the last)."""

    users: list[GraphUser]
    offset: int
    next_offset: int | None


def candidate_page(
    session: Session,
    org_id: int,
    tenant: str,
    *,
    search: str | None = None,
    group: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> CandidatePage:
    """Enabled directory users no Kinabase user stands for, by the directory's order: those
    whose name, mail or userPrincipalName starts with `search`, members (also through nested
    groups) of the security group `group` (object id or name). The directory is streamed and
    only the page is kept."""
    listed = candidates(session, org_id, directory_users(tenant, search, group))
    page = list(itertools.islice(listed, offset, offset + limit + 1))
    more = len(page) > limit
    return CandidatePage(page[:limit], offset, offset + limit if more else None)


def security_groups(tenant: str, search: str | None = None) -> list[GraphGroup]:
    """The tenant's security groups whose name starts with `search`, by name."""
    groups = graph_directory.iter_security_groups(tenant, search=search or None)
    return sorted(groups, key=lambda group: group.display_name.lower())


def directory_users(tenant: str, search: str | None, group: str | None) -> Iterator[GraphUser]:
    """The directory's users, or a security group's (transitive) members, starting with
    `search` if given; streamed."""
    if not group:
        return graph_directory.iter_users(tenant, search=search or None)
    members = graph_directory.iter_group_users(tenant, find_group(tenant, group).id)
    if not search:
        return members
    wanted = search.lower()
    return (
        user
        for user in members
        if any(
            (value or "").lower().startswith(wanted)
            for value in (user.display_name, user.mail, user.user_principal_name)
        )
    )
