"""The Entra ID emulator: the Microsoft identity platform v2.0 endpoints msal and the service use.

- `GET /{tenant}/v2.0/.well-known/openid-configuration`: for `organizations` and `common` the
  issuer is the template `https://{host}/{tenantid}/v2.0`, as Microsoft publishes it.
- `GET /{tenant}/discovery/v2.0/keys`: the JWKS (see keys.KeyRing for rollover).
- `GET /{tenant}/oauth2/v2.0/authorize`: the "browser" step. Which user signs in is chosen with
  the emulator-only parameter `login_as` (the UPN), standing for the credentials a person types.
  Codes are bound to client, redirect URI, PKCE challenge (RFC 7636) and nonce; a user of another
  tenant at a tenant-specific authority gets AADSTS50020, as Entra answers.
- `POST /{tenant}/oauth2/v2.0/token`: authorization_code (single-use codes) and
  client_credentials (only after admin consent; AADSTS7000229 before). A code asked for a
  registered app's own API (`api://<client id>/access_as_user`) gets a signed JWT access token
  for that API (`entra_tokens.mint_api_access_token`), as the Outlook task pane's is.
- `GET /{tenant}/v2.0/adminconsent`: records the consent and redirects with
  `admin_consent=True&tenant=…`, or with `error`/`error_description`.
- `GET /common/discovery/instance`: msal's instance and alias discovery.
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

from flask import Flask, Response, jsonify, request

from tests.emulators.cloud import AccessGrant, DirectoryUser, MicrosoftCloud
from tests.emulators.entra_responses import consent_error, deliver, sign_in_error, token_error
from tests.emulators.entra_tokens import (
    TOKEN_LIFETIME_SECONDS,
    AuthorizationCode,
    TokenError,
    api_scopes,
    authenticate_client,
    check_code,
    client_credentials_grant,
    client_info,
    mint_api_access_token,
    mint_id_token,
)

MULTI_TENANT = frozenset({"organizations", "common"})
ALIASES = [
    "login.microsoftonline.com",
    "login.windows.net",
    "login.microsoft.com",
    "sts.windows.net",
]


def create_entra_app(cloud: MicrosoftCloud) -> Flask:
    """A WSGI app serving `cloud` as login.microsoftonline.com does."""
    return EntraEmulator(cloud).app


class EntraEmulator:
    """The endpoints, with the codes issued and redeemed so far."""

    def __init__(self, cloud: MicrosoftCloud) -> None:
        self.cloud = cloud
        self.codes: dict[str, AuthorizationCode] = {}
        self.redeemed: set[str] = set()
        app = self.app = Flask("entra_emulator")
        app.register_error_handler(TokenError, token_error)
        app.get("/<tenant>/v2.0/.well-known/openid-configuration")(self.openid_configuration)
        app.get("/<tenant>/discovery/v2.0/keys")(self.jwks)
        app.get("/common/discovery/instance")(self.instance_discovery)
        app.get("/<tenant>/oauth2/v2.0/authorize")(self.authorize)
        app.post("/<tenant>/oauth2/v2.0/token")(self.token)
        app.get("/<tenant>/v2.0/adminconsent")(self.admin_consent)

    @staticmethod
    def base_url() -> str:
        """The scheme and host this request came to (any routed host, national clouds too)."""
        return f"https://{request.host}"

    def tenant_id(self, tenant: str) -> str | None:
        """The tenant id a path segment names: None for organizations/common."""
        if tenant in MULTI_TENANT:
            return None
        for known in self.cloud.tenants.values():
            if tenant.lower() in (known.tenant_id, known.domain):
                return known.tenant_id
        raise TokenError("invalid_tenant", f"AADSTS90002: Tenant '{tenant}' not found.")

    def openid_configuration(self, tenant: str) -> Response:
        """OpenID Connect Discovery 1.0 §4, with Microsoft's `{tenantid}` issuer template."""
        tid = self.tenant_id(tenant)
        base = f"{self.base_url()}/{tenant}"
        return jsonify(
            issuer=f"{self.base_url()}/{tid or '{tenantid}'}/v2.0",
            authorization_endpoint=f"{base}/oauth2/v2.0/authorize",
            token_endpoint=f"{base}/oauth2/v2.0/token",
            device_authorization_endpoint=f"{base}/oauth2/v2.0/devicecode",
            end_session_endpoint=f"{base}/oauth2/v2.0/logout",
            jwks_uri=f"{base}/discovery/v2.0/keys",
            response_modes_supported=["query", "fragment", "form_post"],
            response_types_supported=["code", "id_token", "code id_token", "id_token token"],
            id_token_signing_alg_values_supported=["RS256"],
            token_endpoint_auth_methods_supported=["client_secret_post", "private_key_jwt"],
            scopes_supported=["openid", "profile", "email", "offline_access"],
            subject_types_supported=["pairwise"],
            msgraph_host="graph.microsoft.com",
        )

    def jwks(self, tenant: str) -> Response:
        """The published signing keys."""
        self.tenant_id(tenant)
        return jsonify(self.cloud.keys.jwks(f"{self.base_url()}/{{tenantid}}/v2.0"))

    def instance_discovery(self) -> Response:
        """msal's instance discovery and alias lookup."""
        endpoint = request.args.get("authorization_endpoint", "")
        tenant = endpoint.split("/")[3] if endpoint.count("/") > 3 else "common"
        discovery = f"{self.base_url()}/{tenant}/v2.0/.well-known/openid-configuration"
        return jsonify(
            {
                "tenant_discovery_endpoint": discovery,
                "api-version": "1.1",
                "metadata": [
                    {
                        "preferred_network": "login.microsoftonline.com",
                        "preferred_cache": "login.windows.net",
                        "aliases": ALIASES,
                    }
                ],
            }
        )

    def browser_user(self, client_id: str, redirect_uri: str) -> DirectoryUser | Response:
        """The user `login_as` names, or Entra's own page (an error is never redirected to an
        unregistered redirect URI)."""
        registration = self.cloud.apps.get(client_id)
        if registration is None:
            return Response("AADSTS700016: Application not found in the directory.", 400)
        if redirect_uri not in registration.redirect_uris:
            return Response(
                "AADSTS50011: The redirect URI specified in the request does not match the "
                "redirect URIs configured for the application.",
                400,
            )
        login_as = request.args.get("login_as")
        if not login_as:
            return Response("<h1>Sign in to your account</h1>", 200, mimetype="text/html")
        user = self.cloud.find_user(login_as)
        if user is None:
            return Response("AADSTS50034: The user account does not exist.", 400)
        return user

    def authorize(self, tenant: str) -> Response:
        """The authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2)."""
        args = request.args
        redirect_uri = args.get("redirect_uri", "")
        tid = self.tenant_id(tenant)
        user = self.browser_user(args.get("client_id", ""), redirect_uri)
        if isinstance(user, Response):
            return user
        mode = args.get("response_mode", "query")
        state = args.get("state")
        error = sign_in_error(args, user, tid)
        if error is not None:
            return deliver(redirect_uri, mode, {**error, "state": state})
        code = secrets.token_urlsafe(48)
        self.codes[code] = AuthorizationCode(
            client_id=args["client_id"],
            redirect_uri=redirect_uri,
            scopes=frozenset(args.get("scope", "").split()),
            nonce=args.get("nonce"),
            code_challenge=args.get("code_challenge"),
            user=user,
            issued_at=time.time(),
        )
        params = {"code": code, "state": state, "client_info": client_info(user)}
        return deliver(redirect_uri, mode, {**params, "session_state": str(uuid.uuid4())})

    def token(self, tenant: str) -> Response:
        """The token endpoint (RFC 6749 §3.2)."""
        tid = self.tenant_id(tenant)
        form = request.form.to_dict()
        client = authenticate_client(self.cloud, form, f"{self.base_url()}{request.path}")
        grant_type = form.get("grant_type")
        if grant_type == "client_credentials":
            return client_credentials_grant(
                self.cloud, client.client_id, tid, form.get("scope", "")
            )
        if grant_type != "authorization_code":
            raise TokenError("unsupported_grant_type", "AADSTS70003: Unsupported grant type.")
        code = self.redeem(form.get("code", ""))
        check_code(code, form, client.client_id)
        scopes = code.scopes - {"openid", "profile", "offline_access", "email"}
        grant = AccessGrant(code.user.tenant_id, client.client_id, frozenset(scopes), code.user)
        api = api_scopes(frozenset(scopes), self.cloud)
        access_token = (
            mint_api_access_token(
                self.cloud, code.user, api[0], base_url=self.base_url(), scopes=(api[1],)
            )
            if api is not None
            else self.cloud.issue_access_token(grant)
        )
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": " ".join(sorted(scopes)),
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "ext_expires_in": TOKEN_LIFETIME_SECONDS,
            "access_token": access_token,
            "id_token": mint_id_token(self.cloud, self.base_url(), code),
            "client_info": client_info(code.user),
        }
        if "offline_access" in code.scopes:
            body["refresh_token"] = "emulated-refresh." + secrets.token_urlsafe(32)
        return jsonify(body)

    def redeem(self, value: str) -> AuthorizationCode:
        """Take a code out of circulation: each code is good for one token request."""
        code = self.codes.pop(value, None)
        if code is not None:
            self.redeemed.add(value)
            return code
        if value in self.redeemed:
            raise TokenError(
                "invalid_grant", "AADSTS54005: OAuth2 Authorization code was already redeemed."
            )
        raise TokenError("invalid_grant", "AADSTS9002313: Invalid request. Malformed code.")

    def admin_consent(self, tenant: str) -> Response:
        """Microsoft identity platform admin consent endpoint (v2-admin-consent)."""
        args = request.args
        redirect_uri = args.get("redirect_uri", "")
        tid = self.tenant_id(tenant)
        user = self.browser_user(args.get("client_id", ""), redirect_uri)
        if isinstance(user, Response):
            return user
        params: dict[str, Any] = {"state": args.get("state")}
        error = sign_in_error(args, user, tid) or consent_error(args, user)
        if error is not None:
            return deliver(redirect_uri, "query", {**params, **error})
        self.cloud.grant_consent(user.tenant_id, args["client_id"])
        params |= {"admin_consent": "True", "tenant": user.tenant_id, "scope": args.get("scope")}
        return deliver(redirect_uri, "query", params)
