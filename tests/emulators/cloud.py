"""The world the emulators share: tenants and their users, app registrations, consents, tokens.

The Entra emulator signs users in and issues tokens; the Graph emulator answers for the same
users with those tokens. Tests seed a `MicrosoftCloud`, hand its emulators to the service through
the routed session, and inject faults through `cloud.faults`.

A tenant remembers each change to its users (`add_user`, `update_user`, `remove_user`) in order,
which is what Graph's `/users/delta` reports. Admin consent grants the app registration's
application permissions in the tenant; an app-only token carries those granted when it was
issued (its `roles`), and Graph answers 403 to a read they do not cover.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.emulators.keys import KeyRing, SigningKey

AUTHORITY_HOST = "login.microsoftonline.com"
GRAPH_HOST = "graph.microsoft.com"


def new_guid() -> str:
    """A lower-case GUID, as Entra writes object and tenant ids."""
    return str(uuid.uuid4())


@dataclass
class DirectoryUser:
    """A user of an Entra tenant (the subset of Graph's user resource the emulators serve)."""

    tenant_id: str
    user_principal_name: str
    display_name: str
    mail: str | None = None
    given_name: str | None = None
    surname: str | None = None
    job_title: str | None = None
    department: str | None = None
    employee_id: str | None = None
    user_type: str = "Member"  # or "Guest"
    manager_id: str | None = None  # the manager's object id
    is_admin: bool = False
    account_enabled: bool = True
    photo: bytes | None = None
    photo_content_type: str = "image/jpeg"
    object_id: str = field(default_factory=new_guid)


# DirectoryUser's attributes by the name of Graph's user property they stand for.
GRAPH_USER_PROPERTIES = {
    "id": "object_id",
    "userPrincipalName": "user_principal_name",
    "displayName": "display_name",
    "givenName": "given_name",
    "surname": "surname",
    "mail": "mail",
    "jobTitle": "job_title",
    "department": "department",
    "employeeId": "employee_id",
    "accountEnabled": "account_enabled",
    "userType": "user_type",
    "manager": "manager_id",
}
PROPERTY_OF_ATTRIBUTE = {attribute: name for name, attribute in GRAPH_USER_PROPERTIES.items()}


@dataclass
class DirectoryGroup:
    """A group of an Entra tenant; members are object ids of users and of nested groups."""

    display_name: str
    description: str | None = None
    security_enabled: bool = True
    mail_enabled: bool = False
    members: list[str] = field(default_factory=list)
    object_id: str = field(default_factory=new_guid)


@dataclass(frozen=True)
class UserChange:
    """One change to a tenant's users, as delta queries track them."""

    sequence: int
    object_id: str
    properties: frozenset[str] | None  # Graph property names changed; None: added or removed


@dataclass
class Tenant:
    """An Entra tenant: a directory of users and groups under one tenant id."""

    tenant_id: str
    domain: str
    users: dict[str, DirectoryUser] = field(default_factory=dict)
    groups: dict[str, DirectoryGroup] = field(default_factory=dict)
    changes: list[UserChange] = field(default_factory=list)

    def add_user(self, local_part: str, display_name: str, **attributes: Any) -> DirectoryUser:
        """Add a user `local_part@domain` (mail defaults to the UPN)."""
        upn = f"{local_part}@{self.domain}"
        attributes.setdefault("mail", upn)
        user = DirectoryUser(self.tenant_id, upn, display_name, **attributes)
        self.users[user.object_id] = user
        self._record(user.object_id, None)
        return user

    def update_user(self, user: DirectoryUser, **attributes: Any) -> None:
        """Change some of a user's attributes (DirectoryUser's names: job_title=…)."""
        for name, value in attributes.items():
            if name not in PROPERTY_OF_ATTRIBUTE:
                raise AttributeError(f"DirectoryUser has no Graph property {name!r}")
            setattr(user, name, value)
        self._record(user.object_id, frozenset(PROPERTY_OF_ATTRIBUTE[n] for n in attributes))

    def remove_user(self, user: DirectoryUser) -> None:
        """Delete a user (and take them out of every group)."""
        del self.users[user.object_id]
        for group in self.groups.values():
            if user.object_id in group.members:
                group.members.remove(user.object_id)
        self._record(user.object_id, None)

    def add_group(
        self,
        display_name: str,
        members: Sequence[DirectoryUser | DirectoryGroup] = (),
        **attributes: Any,
    ) -> DirectoryGroup:
        """Add a group whose members are users or groups of this tenant."""
        ids = [m.object_id for m in members]
        group = DirectoryGroup(display_name, members=ids, **attributes)
        self.groups[group.object_id] = group
        return group

    def _record(self, object_id: str, properties: frozenset[str] | None) -> None:
        self.changes.append(UserChange(len(self.changes) + 1, object_id, properties))


@dataclass
class AppRegistration:
    """A multi-tenant Entra app registration: its credentials and redirect URIs."""

    client_id: str
    client_secret: str | None
    redirect_uris: list[str]
    certificate_key: SigningKey | None = None  # the public half authenticates client assertions
    # The application permissions the registration asks for; admin consent grants them.
    application_permissions: frozenset[str] = frozenset({"User.Read.All", "GroupMember.Read.All"})


@dataclass(frozen=True)
class AccessGrant:
    """What an access token issued by the emulator stands for."""

    tenant_id: str
    client_id: str
    scopes: frozenset[str]
    user: DirectoryUser | None  # None for app-only tokens (client credentials)
    roles: frozenset[str] = frozenset()  # application permissions of an app-only token


@dataclass
class Faults:
    """Misbehaviour a test asks of the emulators; empty means Microsoft behaves."""

    id_token_claims: dict[str, Any] = field(default_factory=dict)  # merged; None deletes a claim
    id_token_headers: dict[str, Any] = field(default_factory=dict)
    id_token_signing_key: SigningKey | None = None  # e.g. keys.foreign_key()
    id_token_tenant_id: str | None = None  # sign as if the user were in this tenant
    graph_errors: dict[str, int] = field(default_factory=dict)  # Graph path → HTTP status
    graph_faults: list[GraphFault] = field(default_factory=list)  # answered before the resource

    def graph_fault(self, path: str, status: int, **options: Any) -> GraphFault:
        """Fail requests to a Graph path (`/v1.0/users`) with `status`: see GraphFault."""
        fault = GraphFault(path, status, **options)
        self.graph_faults.append(fault)
        return fault

    def expire_token(self, path: str, *, after: int = 0) -> GraphFault:
        """After `after` requests to the path, the token presented expires: that request and
        every later one with the token get 401 InvalidAuthenticationToken."""
        return self.graph_fault(path, 401, after=after, expire_token=True)

    def drop_connection(self, path: str, *, after: int = 0, times: int = 1) -> GraphFault:
        """The connection breaks before Graph answers: the client's session raises
        `requests.ConnectionError` (the transport's doing; see transport.DROP_CONNECTION)."""
        return self.graph_fault(path, 0, after=after, times=times)


@dataclass
class GraphFault:
    """An error Graph answers instead of a resource, to the requests of one path (status 0:
    no answer at all, the connection drops).

    The first `after` requests to the path pass; the next `times` fail with `status` (429 and
    503 with `retry_after` as the header, if given); later ones pass again. Graph's error codes
    by status unless `code` is given. `seen` counts the requests to the path so far.
    """

    path: str
    status: int
    after: int = 0
    times: int = 1
    retry_after: str | None = None
    code: str | None = None
    expire_token: bool = False
    seen: int = 0

    def strikes(self) -> bool:
        """Count one request to the path; True if this one fails."""
        self.seen += 1
        return self.after < self.seen <= self.after + self.times


@dataclass
class MicrosoftCloud:
    """Entra tenants, app registrations, granted consents and live access tokens."""

    tenants: dict[str, Tenant] = field(default_factory=dict)
    apps: dict[str, AppRegistration] = field(default_factory=dict)
    # (tenant id, client id) → the application permissions admin consent granted there
    consents: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    access_tokens: dict[str, AccessGrant] = field(default_factory=dict)
    expired_tokens: set[str] = field(default_factory=set)
    page_size: int = 100  # Graph's largest page for collections; `$top` asks for less
    keys: KeyRing = field(default_factory=KeyRing)
    faults: Faults = field(default_factory=Faults)

    def add_tenant(self, domain: str, tenant_id: str | None = None) -> Tenant:
        """Add a tenant with a verified domain."""
        tenant = Tenant(tenant_id or new_guid(), domain)
        self.tenants[tenant.tenant_id] = tenant
        return tenant

    def register_app(
        self,
        redirect_uris: list[str],
        *,
        client_secret: str | None = None,
        certificate_key: SigningKey | None = None,
    ) -> AppRegistration:
        """Register a multi-tenant app (a secret is generated unless a certificate is given)."""
        if client_secret is None and certificate_key is None:
            client_secret = secrets.token_urlsafe(24)
        app = AppRegistration(new_guid(), client_secret, list(redirect_uris), certificate_key)
        self.apps[app.client_id] = app
        return app

    def grant_consent(self, tenant_id: str, client_id: str) -> None:
        """An administrator of the tenant consents: the app's permissions are granted there."""
        self.consents[(tenant_id, client_id)] = set(self.apps[client_id].application_permissions)

    def revoke_permission(self, tenant_id: str, client_id: str, permission: str) -> None:
        """An administrator removes one granted permission (tokens issued later lack it)."""
        self.consents[(tenant_id, client_id)].discard(permission)

    def find_user(self, user_principal_name: str) -> DirectoryUser | None:
        """The user with this UPN in any tenant (compared case-insensitively)."""
        wanted = user_principal_name.lower()
        for tenant in self.tenants.values():
            for user in tenant.users.values():
                if user.user_principal_name.lower() == wanted:
                    return user
        return None

    def issue_access_token(self, grant: AccessGrant) -> str:
        """An opaque access token for Graph (real ones are JWTs, but clients must not look)."""
        token = "emulated." + secrets.token_urlsafe(32)
        self.access_tokens[token] = grant
        return token
