"""The Microsoft Graph emulator: the v1.0 resources the service reads, for the cloud's tenants.

Served:

- `/me`, `/me/photo/$value` (delegated tokens; `/me` with an app-only token is 400, as Graph
  answers);
- `/users` (user-list.md) with `$select`, `$top`, `$filter` (graph_queries), `$count` and
  `$expand=manager` or `manager($select=…)`; members and guests alike; pages of at most
  `cloud.page_size` with an opaque `$skiptoken` in `@odata.nextLink`;
- `/users/{id | userPrincipalName}` (with `$expand=manager`), `/users/{id}/manager` (404 when
  none), `/users/{id}/photo/$value` (404 `ImageNotFound` when none);
- `/users/delta` (delta-query-users.md): a first round of every user, then the tenant's changes
  since the round's `@odata.deltaLink`: an added user whole, a changed one with `id` and only the
  selected properties that changed (a change to an unselected one is not reported), a removed one
  as `{"id", "@removed": {"reason": "deleted"}}`; `manager` as `manager@delta` (an emulator
  simplification: a manager taken away shows only as a changed user without `manager@delta`).
  An unknown delta token is 410;
- `/groups` with `$filter` (securityEnabled, displayName…), `$select`, `$top`;
- `/groups/{id}/transitiveMembers` and its cast `/transitiveMembers/microsoft.graph.user`
  (members of nested groups too, each once), which needs `ConsistencyLevel: eventual` and
  `$count=true` (an advanced query) and, like advanced queries, cannot `$expand`.

App-only tokens carry the application permissions granted in their tenant (`roles`): a read they
do not cover is 403 `Authorization_RequestDenied`; a token reads its own tenant only. Errors have
Graph's shape: `{"error": {"code", "message", "innerError": {"date", "request-id",
"client-request-id"}}}`. Faults: `cloud.faults.graph_errors` (path → status) and
`cloud.faults.graph_faults` (see cloud.GraphFault: after N requests, Retry-After, expiring the
token).
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, jsonify, request

from tests.emulators.cloud import (
    AccessGrant,
    DirectoryGroup,
    DirectoryUser,
    GraphFault,
    MicrosoftCloud,
    Tenant,
)
from tests.emulators.graph_queries import Pager, QueryError, parse_filter, selected
from tests.emulators.transport import DROP_CONNECTION

DEFAULT_USER_PROPERTIES = (
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
)
DEFAULT_GROUP_PROPERTIES = ("id", "displayName", "description", "mailEnabled", "securityEnabled")
USER_FILTERABLE = frozenset(
    {"displayName", "givenName", "surname", "mail", "userPrincipalName", "accountEnabled",
     "userType", "jobTitle", "department", "employeeId", "id"}
)  # fmt: skip
GROUP_FILTERABLE = frozenset({"displayName", "securityEnabled", "mailEnabled", "id"})
# Application permissions that let an app-only token read each kind of resource.
READ_USERS = frozenset(
    {"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
)
READ_GROUPS = frozenset(
    {"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"}
)
EXPAND_MANAGER = re.compile(r"^manager(?:\(\$select=([\w,]+)\))?$")
FAULT_TEXT = {
    401: ("InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."),
    403: ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
    429: ("TooManyRequests", "Please retry again later."),
    503: ("serviceNotAvailable", "Service unavailable. Please retry again later."),
    504: ("UnknownError", "The gateway timed out."),
}
USER_TYPE = "#microsoft.graph.user"


class GraphError(Exception):
    """An error response of Graph."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def create_graph_app(cloud: MicrosoftCloud) -> Flask:
    """A WSGI app serving `cloud` as graph.microsoft.com does."""
    return GraphEmulator(cloud).app


@dataclass(frozen=True)
class DeltaState:
    """What a delta token stands for: the tenant's changes up to `sequence`, selected so."""

    tenant_id: str
    sequence: int
    select: str | None


@dataclass(frozen=True)
class DeltaRound:
    """A delta round being paged: its entries (fixed when it began) and where it ends."""

    entries: list[dict[str, Any]]
    end: DeltaState


class GraphEmulator:
    """Graph's routes over the shared cloud."""

    def __init__(self, cloud: MicrosoftCloud) -> None:
        self.cloud = cloud
        self.pager = Pager()
        self.delta_tokens: dict[str, DeltaState] = {}
        self.delta_pages: dict[str, tuple[DeltaRound, int]] = {}
        app = self.app = Flask("graph_emulator")
        app.register_error_handler(GraphError, _graph_error)
        app.register_error_handler(QueryError, _query_error)
        app.before_request(self.injected_fault)
        app.after_request(self.lost_response)
        app.get("/v1.0/me")(self.me)
        app.get("/v1.0/me/photo/$value")(self.my_photo)
        app.get("/v1.0/users")(self.users)
        app.get("/v1.0/users/delta")(self.users_delta)
        app.get("/v1.0/users/<user_id>")(self.user)
        app.get("/v1.0/users/<user_id>/manager")(self.manager)
        app.get("/v1.0/users/<user_id>/photo/$value")(self.user_photo)
        app.get("/v1.0/groups")(self.groups)
        app.get("/v1.0/groups/<group_id>/transitiveMembers")(self.transitive_members)
        app.get("/v1.0/groups/<group_id>/transitiveMembers/microsoft.graph.user")(
            self.transitive_users
        )
        from tests.emulators.drives import add_drive_routes  # noqa: PLC0415 - it imports this

        add_drive_routes(self)

    # -- faults and authorization ------------------------------------------------------------

    def injected_fault(self) -> None:
        """Fail the request as a test asked for this path (`graph_errors`, `graph_faults`)."""
        status = self.cloud.faults.graph_errors.get(request.path)
        if status is not None:
            raise GraphError(status, "generalException", "An injected failure.")
        striking = [
            f
            for f in self.cloud.faults.graph_faults
            if f.path == request.path and not f.after_handling
        ]
        for fault in [f for f in striking if f.strikes()][:1]:
            self.raise_fault(fault)

    def lost_response(self, response: Response) -> Response:
        """Lose the answer to a handled request, as a test asked (`faults.lose_response`)."""
        for fault in self.cloud.faults.graph_faults:
            if fault.after_handling and fault.path == request.path and fault.strikes():
                response.headers[DROP_CONNECTION] = "1"
                break
        return response

    def raise_fault(self, fault: GraphFault) -> None:
        """Answer the fault's error (expiring the presented token first, if it says so)."""
        if fault.expire_token:
            self.cloud.expired_tokens.add(_bearer_token())
        if fault.status == 0:
            raise GraphError(500, "", "", {DROP_CONNECTION: "1"})
        code, message = FAULT_TEXT.get(fault.status, ("generalException", "An injected failure."))
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        raise GraphError(fault.status, fault.code or code, message, headers)

    def grant(self) -> AccessGrant:
        """The access token's grant, or 401 InvalidAuthenticationToken."""
        token = _bearer_token()
        grant = self.cloud.access_tokens.get(token)
        if grant is None:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
        if token in self.cloud.expired_tokens:
            raise GraphError(401, *FAULT_TEXT[401])
        return grant

    def tenant(self, permissions: frozenset[str]) -> Tenant:
        """The token's tenant, if its app-only permissions (roles) cover the read, else 403."""
        grant = self.grant()
        if grant.user is None and not grant.roles & permissions:
            raise GraphError(403, *FAULT_TEXT[403])
        return self.cloud.tenants[grant.tenant_id]

    def signed_in_user(self) -> DirectoryUser:
        """The user of a delegated token (`/me`)."""
        grant = self.grant()
        if grant.user is None:
            raise GraphError(
                400, "BadRequest", "/me request is only valid with delegated authentication flow."
            )
        return grant.user

    def directory_user(self, user_id: str) -> DirectoryUser:
        """A user of the token's tenant by object id or UPN, or 404 Request_ResourceNotFound."""
        tenant = self.tenant(READ_USERS)
        for user in tenant.users.values():
            if user_id.lower() in (user.object_id, user.user_principal_name.lower()):
                return user
        raise GraphError(404, "Request_ResourceNotFound", f"Resource '{user_id}' does not exist.")

    # -- users ---------------------------------------------------------------------------------

    def me(self) -> Response:
        """GET /me (user-get.md)."""
        return jsonify(user_resource(self.signed_in_user(), request.args.get("$select")))

    def my_photo(self) -> Response:
        """GET /me/photo/$value (profilephoto-get.md)."""
        return _photo(self.signed_in_user())

    def users(self) -> Response:
        """GET /users (user-list.md)."""
        tenant = self.tenant(READ_USERS)
        _require_eventual_for_count()
        condition = _filter(USER_FILTERABLE)
        expand = _manager_expansion()
        select = request.args.get("$select")
        users = (
            user
            for user in tenant.users.values()
            if condition is None or condition(full_user_resource(user))
        )

        def render(user: DirectoryUser) -> dict[str, Any]:
            return self.listed_user(tenant, user, select, expand)

        return jsonify(self.pager.page(users, self.cloud.page_size, render))

    def user(self, user_id: str) -> Response:
        """GET /users/{id | userPrincipalName} (user-get.md)."""
        user = self.directory_user(user_id)
        tenant = self.cloud.tenants[user.tenant_id]
        resource = self.listed_user(tenant, user, request.args.get("$select"), _manager_expansion())
        return jsonify({"@odata.context": _entity_context(), **resource})

    def listed_user(
        self, tenant: Tenant, user: DirectoryUser, select: str | None, expand: str | None
    ) -> dict[str, Any]:
        """A user as a list or get returns it, with `manager` when expanded and present."""
        resource = selected(full_user_resource(user), select, DEFAULT_USER_PROPERTIES)
        manager = tenant.users.get(user.manager_id or "")
        if expand is not None and manager is not None:
            manager_select = expand or None
            resource["manager"] = {
                "@odata.type": USER_TYPE,
                **selected(full_user_resource(manager), manager_select, DEFAULT_USER_PROPERTIES),
            }
        return resource

    def manager(self, user_id: str) -> Response:
        """GET /users/{id}/manager (user-list-manager.md): 404 when the user has none."""
        user = self.directory_user(user_id)
        manager = self.cloud.tenants[user.tenant_id].users.get(user.manager_id or "")
        if manager is None:
            raise GraphError(404, "Request_ResourceNotFound", "Resource 'manager' does not exist.")
        return jsonify({"@odata.type": USER_TYPE, **user_resource(manager)})

    def user_photo(self, user_id: str) -> Response:
        """GET /users/{id}/photo/$value (profilephoto-get.md)."""
        return _photo(self.directory_user(user_id))

    # -- delta ---------------------------------------------------------------------------------

    def users_delta(self) -> Response:
        """GET /users/delta: a first round, its pages, and the changes since a deltaLink."""
        tenant = self.tenant(READ_USERS)
        skip_token = request.args.get("$skiptoken")
        delta_token = request.args.get("$deltatoken")
        if skip_token is not None:
            if skip_token not in self.delta_pages:
                raise GraphError(400, "Request_BadRequest", "The skip token is not valid.")
            delta_round, start = self.delta_pages[skip_token]
        elif delta_token is not None:
            since = self.delta_tokens.get(delta_token)
            if since is None or since.tenant_id != tenant.tenant_id:
                raise GraphError(410, "syncStateNotFound", "The delta token is no longer valid.")
            delta_round, start = self.changes_since(tenant, since), 0
        else:
            select = request.args.get("$select")
            end = DeltaState(tenant.tenant_id, len(tenant.changes), select)
            entries = [_delta_entry(user, select) for user in tenant.users.values()]
            delta_round, start = DeltaRound(entries, end), 0
        stop = start + self.cloud.page_size
        body: dict[str, Any] = {
            "@odata.context": _collection_context("users"),
            "value": delta_round.entries[start:stop],
        }
        token = secrets.token_urlsafe(24)
        if stop < len(delta_round.entries):
            self.delta_pages[token] = (delta_round, stop)
            body["@odata.nextLink"] = f"{request.base_url}?$skiptoken={token}"
        else:
            self.delta_tokens[token] = delta_round.end
            body["@odata.deltaLink"] = f"{request.base_url}?$deltatoken={token}"
        return jsonify(body)

    @staticmethod
    def changes_since(tenant: Tenant, since: DeltaState) -> DeltaRound:
        """The users added, changed (selected properties only) or removed after `since`."""
        changed: dict[str, set[str] | None] = {}
        for change in tenant.changes[since.sequence :]:
            before = changed.pop(change.object_id, set())
            if change.properties is None or before is None:
                changed[change.object_id] = None
            else:
                changed[change.object_id] = before | change.properties
        entries: list[dict[str, Any]] = []
        for object_id, properties in changed.items():
            user = tenant.users.get(object_id)
            if user is None:
                entries.append({"id": object_id, "@removed": {"reason": "deleted"}})
                continue
            entry = _delta_entry(user, since.select, properties)
            if len(entry) > 1:  # only unselected properties changed: nothing to report
                entries.append(entry)
        end = DeltaState(tenant.tenant_id, len(tenant.changes), since.select)
        return DeltaRound(entries, end)

    # -- groups --------------------------------------------------------------------------------

    def groups(self) -> Response:
        """GET /groups (group-list.md)."""
        tenant = self.tenant(READ_GROUPS)
        _require_eventual_for_count()
        condition = _filter(GROUP_FILTERABLE)
        select = request.args.get("$select")
        groups = (
            group
            for group in tenant.groups.values()
            if condition is None or condition(group_resource(group))
        )

        def render(group: DirectoryGroup) -> dict[str, Any]:
            return selected(group_resource(group), select, DEFAULT_GROUP_PROPERTIES)

        return jsonify(self.pager.page(groups, self.cloud.page_size, render))

    def transitive_members(self, group_id: str) -> Response:
        """GET /groups/{id}/transitiveMembers: users and nested groups, with `@odata.type`."""
        tenant = self.tenant(READ_GROUPS)

        def render(member: DirectoryUser | DirectoryGroup) -> dict[str, Any]:
            if isinstance(member, DirectoryUser):
                resource = selected(full_user_resource(member), None, DEFAULT_USER_PROPERTIES)
                return {"@odata.type": USER_TYPE, **resource}
            resource = selected(group_resource(member), None, DEFAULT_GROUP_PROPERTIES)
            return {"@odata.type": "#microsoft.graph.group", **resource}

        members = self.members_of(tenant, group_id)
        return jsonify(self.pager.page(members, self.cloud.page_size, render))

    def transitive_users(self, group_id: str) -> Response:
        """GET /groups/{id}/transitiveMembers/microsoft.graph.user (an advanced query)."""
        tenant = self.tenant(READ_GROUPS)
        if request.headers.get("ConsistencyLevel") != "eventual" or (
            request.args.get("$count") != "true"
        ):
            raise QueryError(
                "Request_UnsupportedQuery",
                "The OData cast needs the ConsistencyLevel header set to 'eventual' and "
                "'$count=true'.",
            )
        if "$expand" in request.args:
            raise QueryError("Request_UnsupportedQuery", "$expand is not supported here.")
        condition = _filter(USER_FILTERABLE)
        select = request.args.get("$select")
        users = (
            member
            for member in self.members_of(tenant, group_id)
            if isinstance(member, DirectoryUser)
            and (condition is None or condition(full_user_resource(member)))
        )

        def render(user: DirectoryUser) -> dict[str, Any]:
            return selected(full_user_resource(user), select, DEFAULT_USER_PROPERTIES)

        return jsonify(self.pager.page(users, self.cloud.page_size, render))

    @staticmethod
    def members_of(tenant: Tenant, group_id: str) -> list[DirectoryUser | DirectoryGroup]:
        """Every member of the group and of the groups nested in it, each once."""
        group = tenant.groups.get(group_id.lower())
        if group is None:
            raise GraphError(
                404, "Request_ResourceNotFound", f"Resource '{group_id}' does not exist."
            )
        found: dict[str, DirectoryUser | DirectoryGroup] = {}
        waiting = list(group.members)
        while waiting:
            object_id = waiting.pop(0)
            if object_id in found or object_id == group.object_id:
                continue
            member = tenant.users.get(object_id) or tenant.groups.get(object_id)
            if member is None:
                continue
            found[object_id] = member
            if isinstance(member, DirectoryGroup):
                waiting.extend(member.members)
        return list(found.values())


def full_user_resource(user: DirectoryUser) -> dict[str, Any]:
    """Every property of Graph's user resource the emulator knows (before `$select`)."""
    return {
        "id": user.object_id,
        "displayName": user.display_name,
        "givenName": user.given_name,
        "surname": user.surname,
        "userPrincipalName": user.user_principal_name,
        "mail": user.mail,
        "jobTitle": user.job_title,
        "department": user.department,
        "employeeId": user.employee_id,
        "accountEnabled": user.account_enabled,
        "userType": user.user_type,
        "businessPhones": [],
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
    }


def user_resource(user: DirectoryUser, select: str | None = None) -> dict[str, Any]:
    """Graph's user resource; without `$select` only the default properties (user-list.md)."""
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
        **selected(full_user_resource(user), select, DEFAULT_USER_PROPERTIES),
    }


def group_resource(group: DirectoryGroup) -> dict[str, Any]:
    """Graph's group resource (the properties the emulator knows)."""
    return {
        "id": group.object_id,
        "displayName": group.display_name,
        "description": group.description,
        "securityEnabled": group.security_enabled,
        "mailEnabled": group.mail_enabled,
    }


def _delta_entry(
    user: DirectoryUser, select: str | None, changed: set[str] | None = None
) -> dict[str, Any]:
    """A user in a delta round: whole (selected), or `id` and the selected `changed` ones."""
    names = [n for n in select.split(",") if n] if select else list(DEFAULT_USER_PROPERTIES)
    if changed is not None:
        names = [n for n in names if n in changed]
    resource = full_user_resource(user)
    entry: dict[str, Any] = {"id": user.object_id}
    for name in names:
        if name == "manager":
            if user.manager_id is not None:
                entry["manager@delta"] = [{"@odata.type": USER_TYPE, "id": user.manager_id}]
        elif name != "id":
            entry[name] = resource.get(name)
    return entry


def _filter(filterable: frozenset[str]) -> Any:
    text = request.args.get("$filter")
    return parse_filter(text, filterable) if text else None


def _manager_expansion() -> str | None:
    """None without `$expand`; "" for `manager`; the selection of `manager($select=…)`."""
    expand = request.args.get("$expand")
    if expand is None:
        return None
    match = EXPAND_MANAGER.match(expand)
    if match is None:
        raise QueryError("Request_UnsupportedQuery", f"Unsupported expand: {expand}")
    return match.group(1) or ""


def _require_eventual_for_count() -> None:
    if request.args.get("$count") == "true" and request.headers.get("ConsistencyLevel") != (
        "eventual"
    ):
        raise QueryError(
            "Request_BadRequest",
            "$count is only supported with the ConsistencyLevel header set to 'eventual'.",
        )


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token if scheme == "Bearer" else ""


def _entity_context() -> str:
    return "https://graph.microsoft.com/v1.0/$metadata#users/$entity"


def _collection_context(name: str) -> str:
    return f"https://graph.microsoft.com/v1.0/$metadata#{name}"


def _photo(user: DirectoryUser) -> Response:
    if user.photo is None:
        raise GraphError(404, "ImageNotFound", "Exception of type ImageNotFoundException.")
    return Response(user.photo, 200, mimetype=user.photo_content_type)


def _graph_error(error: GraphError) -> tuple[Response, int, dict[str, str]]:
    inner = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
        "request-id": str(uuid.uuid4()),
        "client-request-id": request.headers.get("client-request-id", str(uuid.uuid4())),
    }
    body = {"error": {"code": error.code, "message": error.message, "innerError": inner}}
    return jsonify(body), error.status, error.headers


def _query_error(error: QueryError) -> tuple[Response, int, dict[str, str]]:
    return _graph_error(GraphError(400, error.code, error.message))
