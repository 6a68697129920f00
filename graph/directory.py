"""The tenant's directory as Microsoft Graph lists it, read with the app's app-only token.

Application permissions (granted by admin consent): `User.Read.All` for users, their managers,
photos and the users delta; `GroupMember.Read.All` for security groups and their members. A 403
raises `ConsentMissing` naming the one the read needed.

Every reader is a generator over Graph's pages (`graph.http.iter_pages`): a directory of any size
is read one page (up to 999 users) at a time, never held whole.

Choices, where Graph offers several:

- **Search** (`iter_users`, `iter_security_groups`) is `startswith` on displayName, mail and
  userPrincipalName (groups: displayName) in `$filter`, a default query: Graph's advanced queries
  (`$search`, `ConsistencyLevel: eventual`) cannot `$expand` the manager, and `startswith` is
  case-insensitive on these properties.
- **Group members** come from `/groups/{id}/transitiveMembers/microsoft.graph.user` (members of
  nested groups included, each once), an OData cast that is an advanced query: it needs
  `ConsistencyLevel: eventual` and `$count=true`, so the manager cannot be expanded there and
  `manager_id` is None on those users; `iter_users`, `get_user` and `users_delta` give it.
- **Delta** (`users_delta`) selects the same properties plus `manager` (reported as
  `manager@delta`). Graph reports a changed user with at least the properties that changed; in
  a later round an entry without every selected property is read whole with `get_user`, so each
  `GraphUser` is complete (at most one GET per changed user; none in a first round, where every
  user is new and a property left out is empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from graph.errors import GraphNotFound, GraphUnavailable
from graph.http import get_bytes, get_json, graph_url, iter_pages, iter_values

USERS_PERMISSION = "User.Read.All"
GROUPS_PERMISSION = "GroupMember.Read.All"

PAGE_SIZE = "999"  # Graph's largest page for directory objects (user-list.md)
USER_PROPERTIES = (
    "id",
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "jobTitle",
    "department",
    "employeeId",
    "accountEnabled",
)
USER_SELECT = ",".join(USER_PROPERTIES)
MANAGER_EXPAND = "manager($select=id)"
GROUP_SELECT = "id,displayName,description"
EVENTUAL = {"ConsistencyLevel": "eventual"}  # advanced queries (aad-advanced-queries.md)


@dataclass(frozen=True)
class GraphUser:
    """A user of the tenant's directory (Graph's user resource, the properties the pull uses)."""

    id: str  # Entra object id
    user_principal_name: str
    display_name: str | None
    given_name: str | None
    surname: str | None
    mail: str | None
    job_title: str | None
    department: str | None
    employee_id: str | None
    account_enabled: bool
    manager_id: str | None  # object id of the manager, None if none or unknown


@dataclass(frozen=True)
class GraphGroup:
    """A security group of the tenant."""

    id: str
    display_name: str
    description: str | None


@dataclass(frozen=True)
class RemovedUser:
    """A user a delta round reports deleted (`@removed`; reason `changed` or `deleted`)."""

    id: str


@dataclass(frozen=True)
class DeltaPage:
    """The changes one delta round reports, and the link that asks for the next changes."""

    changes: list[GraphUser | RemovedUser]
    delta_link: str


def iter_users(tenant_id: str, *, search: str | None = None) -> Iterator[GraphUser]:
    """Every user (members and guests), each with their manager's id; `search` keeps those
    whose display name, mail or userPrincipalName starts with it (case-insensitively)."""
    params = {"$select": USER_SELECT, "$expand": MANAGER_EXPAND, "$top": PAGE_SIZE}
    if search:
        params["$filter"] = _starts_with(search, "displayName", "mail", "userPrincipalName")
    for value in iter_values(tenant_id, graph_url("/users"), params, permission=USERS_PERMISSION):
        yield graph_user(value)


def get_user(tenant_id: str, user_id_or_upn: str) -> GraphUser | None:
    """One user by object id or userPrincipalName, with their manager; None if there is none."""
    url = graph_url(f"/users/{quote(user_id_or_upn, safe='@')}")
    params = {"$select": USER_SELECT, "$expand": MANAGER_EXPAND}
    try:
        return graph_user(get_json(tenant_id, url, params, permission=USERS_PERMISSION))
    except GraphNotFound:
        return None


def iter_security_groups(tenant_id: str, *, search: str | None = None) -> Iterator[GraphGroup]:
    """The tenant's security groups (`securityEnabled eq true`); `search` keeps those whose
    display name starts with it."""
    condition = "securityEnabled eq true"
    if search:
        condition = f"{condition} and {_starts_with(search, 'displayName')}"
    params = {"$select": GROUP_SELECT, "$filter": condition, "$top": PAGE_SIZE}
    for value in iter_values(tenant_id, graph_url("/groups"), params, permission=GROUPS_PERMISSION):
        yield GraphGroup(
            id=str(value["id"]),
            display_name=str(value.get("displayName") or ""),
            description=value.get("description"),
        )


def iter_group_users(tenant_id: str, group_id: str) -> Iterator[GraphUser]:
    """The users in a group, directly or through nested groups, each once; `manager_id` is None
    (see the module's docstring). GraphNotFound when the tenant has no such group."""
    url = graph_url(f"/groups/{quote(group_id, safe='')}/transitiveMembers/microsoft.graph.user")
    params = {"$select": USER_SELECT, "$top": PAGE_SIZE, "$count": "true"}
    for value in iter_values(
        tenant_id, url, params, permission=GROUPS_PERMISSION, headers=EVENTUAL
    ):
        yield graph_user(value)


def user_photo(tenant_id: str, user_id: str) -> bytes | None:
    """The user's profile photo as stored (JPEG, usually), or None when they have none."""
    url = graph_url(f"/users/{quote(user_id, safe='@')}/photo/$value")
    try:
        return get_bytes(tenant_id, url, permission=USERS_PERMISSION)
    except GraphNotFound:
        return None


class DeltaRound:
    """One delta round read lazily: iterating it yields each change (a whole `GraphUser`, or a
    `RemovedUser`) page by page, so a first round of a large directory is never held at once;
    `delta_link` is set once every page is read. A first round (`delta_link` None) reports
    every user; a later one the users added, changed or removed since the round that gave the
    link. Iterating raises DeltaExpired when Graph no longer knows the link (410): start again
    with None then."""

    def __init__(self, tenant_id: str, delta_link: str | None) -> None:
        self.tenant_id = tenant_id
        self.first_round = delta_link is None
        self._link = delta_link
        self.delta_link: str | None = None

    def __iter__(self) -> Iterator[GraphUser | RemovedUser]:
        if self._link is None:
            pages = iter_pages(
                self.tenant_id,
                graph_url("/users/delta"),
                {"$select": f"{USER_SELECT},manager", "$top": PAGE_SIZE},
                permission=USERS_PERMISSION,
            )
        else:  # the link carries the selection; $select may not be sent again
            pages = iter_pages(self.tenant_id, self._link, permission=USERS_PERMISSION)
        next_delta_link: str | None = None
        for page in pages:
            for value in page.get("value", []):
                yield _delta_change(self.tenant_id, value, first_round=self.first_round)
            next_delta_link = page.get("@odata.deltaLink", next_delta_link)
        if not isinstance(next_delta_link, str):
            raise GraphUnavailable("Microsoft Graph ended a delta round without @odata.deltaLink")
        self.delta_link = next_delta_link


def users_delta(tenant_id: str, delta_link: str | None) -> DeltaPage:
    """One delta round, all of it (`DeltaRound` reads the same lazily)."""
    round_ = DeltaRound(tenant_id, delta_link)
    changes = list(round_)
    assert round_.delta_link is not None  # noqa: S101 - set once the round is read
    return DeltaPage(changes, round_.delta_link)


def graph_user(value: dict[str, Any], manager_id: str | None = None) -> GraphUser:
    """A GraphUser from Graph's JSON user (with `manager` expanded, or the manager's id given)."""
    manager = value.get("manager")
    if isinstance(manager, dict) and manager.get("id"):
        manager_id = str(manager["id"])
    return GraphUser(
        id=str(value["id"]),
        user_principal_name=str(value.get("userPrincipalName") or ""),
        display_name=value.get("displayName"),
        given_name=value.get("givenName"),
        surname=value.get("surname"),
        mail=value.get("mail"),
        job_title=value.get("jobTitle"),
        department=value.get("department"),
        employee_id=value.get("employeeId"),
        account_enabled=bool(value.get("accountEnabled", True)),
        manager_id=manager_id,
    )


def _delta_change(
    tenant_id: str, value: dict[str, Any], *, first_round: bool
) -> GraphUser | RemovedUser:
    """A delta entry as a removal, or as the whole user. In a first round every user is new and
    a property left out is empty; later, one left out is unknown, so the user is read again."""
    user_id = str(value["id"])
    if "@removed" in value:
        return RemovedUser(user_id)
    if not first_round and not all(name in value for name in USER_PROPERTIES):
        whole = get_user(tenant_id, user_id)
        return whole if whole is not None else RemovedUser(user_id)
    return graph_user(value, _delta_manager(value.get("manager@delta")))


def _delta_manager(entries: Any) -> str | None:
    """The manager's id from `manager@delta` (a removed manager carries `@removed`)."""
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if isinstance(entry, dict) and "@removed" not in entry and entry.get("id"):
            return str(entry["id"])
    return None


def _starts_with(text: str, *properties: str) -> str:
    """An OData `startswith` on any of the properties, the text quoted as an OData string."""
    literal = "'" + text.replace("'", "''") + "'"
    conditions = [f"startswith({name},{literal})" for name in properties]
    joined = " or ".join(conditions)
    return f"({joined})" if len(conditions) > 1 else joined
