"""The world the emulators share: tenants and their users, app registrations, consents, tokens.

The Entra emulator signs users in and issues tokens; the Graph emulator answers for the same
users with those tokens. Tests seed a `MicrosoftCloud`, hand its emulators to the service through
the routed session, and inject faults through `cloud.faults`.
"""

from __future__ import annotations

import secrets
import uuid
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
    is_admin: bool = False
    account_enabled: bool = True
    photo: bytes | None = None
    photo_content_type: str = "image/jpeg"
    object_id: str = field(default_factory=new_guid)
    # A B2B guest: signed in by another tenant, so id_tokens carry `idp` and `acct` = 1.
    guest: bool = False
    # `xms_edov` (email domain owner verified); None: whether `mail` is in the tenant's domain.
    email_verified: bool | None = None


# Directory role template id of Global Administrator (the `wids` claim).
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"


@dataclass
class Tenant:
    """An Entra tenant: a directory of users under one tenant id."""

    tenant_id: str
    domain: str
    users: dict[str, DirectoryUser] = field(default_factory=dict)

    def add_user(self, local_part: str, display_name: str, **attributes: Any) -> DirectoryUser:
        """Add a user `local_part@domain` (mail defaults to the UPN)."""
        upn = f"{local_part}@{self.domain}"
        attributes.setdefault("mail", upn)
        user = DirectoryUser(self.tenant_id, upn, display_name, **attributes)
        self.users[user.object_id] = user
        return user


@dataclass
class AppRegistration:
    """A multi-tenant Entra app registration: its credentials and redirect URIs."""

    client_id: str
    client_secret: str | None
    redirect_uris: list[str]
    certificate_key: SigningKey | None = None  # the public half authenticates client assertions


@dataclass(frozen=True)
class AccessGrant:
    """What an access token issued by the emulator stands for."""

    tenant_id: str
    client_id: str
    scopes: frozenset[str]
    user: DirectoryUser | None  # None for app-only tokens (client credentials)


@dataclass
class Faults:
    """Misbehaviour a test asks of the emulators; empty means Microsoft behaves."""

    id_token_claims: dict[str, Any] = field(default_factory=dict)  # merged; None deletes a claim
    id_token_headers: dict[str, Any] = field(default_factory=dict)
    id_token_signing_key: SigningKey | None = None  # e.g. keys.foreign_key()
    id_token_tenant_id: str | None = None  # sign as if the user were in this tenant
    graph_errors: dict[str, int] = field(default_factory=dict)  # Graph path → HTTP status


@dataclass
class MicrosoftCloud:
    """Entra tenants, app registrations, granted consents and live access tokens."""

    tenants: dict[str, Tenant] = field(default_factory=dict)
    apps: dict[str, AppRegistration] = field(default_factory=dict)
    consents: set[tuple[str, str]] = field(default_factory=set)  # (tenant id, client id)
    access_tokens: dict[str, AccessGrant] = field(default_factory=dict)
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
