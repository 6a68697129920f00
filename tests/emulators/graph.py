"""The Microsoft Graph emulator: the v1.0 resources the service reads, for the cloud's tenants.

Served so far: `/me`, `/me/photo/$value` (delegated tokens), `/users/{id | userPrincipalName}`
and `/users/{id}/photo/$value`. A missing photo is 404 `ImageNotFound` (profilephoto-get.md); `/me`
with an app-only token is 400, as Graph answers. Errors have Graph's shape:
`{"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}`.

Later features extend `GraphEmulator` with a method per resource (users and groups with paging,
delta, drives and upload sessions), registered in `__init__` like the ones here.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import Flask, Response, jsonify, request

from tests.emulators.cloud import AccessGrant, DirectoryUser, MicrosoftCloud

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


class GraphError(Exception):
    """An error response of Graph."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def create_graph_app(cloud: MicrosoftCloud) -> Flask:
    """A WSGI app serving `cloud` as graph.microsoft.com does."""
    return GraphEmulator(cloud).app


class GraphEmulator:
    """Graph's routes over the shared cloud."""

    def __init__(self, cloud: MicrosoftCloud) -> None:
        self.cloud = cloud
        app = self.app = Flask("graph_emulator")
        app.register_error_handler(GraphError, _graph_error)
        app.before_request(self.injected_fault)
        app.get("/v1.0/me")(self.me)
        app.get("/v1.0/me/photo/$value")(self.my_photo)
        app.get("/v1.0/users/<user_id>")(self.user)
        app.get("/v1.0/users/<user_id>/photo/$value")(self.user_photo)

    def injected_fault(self) -> None:
        """Fail the request with the status a test asked for this path."""
        status = self.cloud.faults.graph_errors.get(request.path)
        if status is not None:
            raise GraphError(status, "generalException", "An injected failure.")

    def grant(self) -> AccessGrant:
        """The access token's grant, or 401 InvalidAuthenticationToken."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        grant = self.cloud.access_tokens.get(token) if scheme == "Bearer" else None
        if grant is None:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
        return grant

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
        tenant = self.cloud.tenants[self.grant().tenant_id]
        for user in tenant.users.values():
            if user_id.lower() in (user.object_id, user.user_principal_name.lower()):
                return user
        raise GraphError(404, "Request_ResourceNotFound", f"Resource '{user_id}' does not exist.")

    def me(self) -> Response:
        """GET /me (user-get.md)."""
        return jsonify(user_resource(self.signed_in_user(), request.args.get("$select")))

    def my_photo(self) -> Response:
        """GET /me/photo/$value (profilephoto-get.md)."""
        return _photo(self.signed_in_user())

    def user(self, user_id: str) -> Response:
        """GET /users/{id | userPrincipalName} (user-get.md)."""
        return jsonify(user_resource(self.directory_user(user_id), request.args.get("$select")))

    def user_photo(self, user_id: str) -> Response:
        """GET /users/{id}/photo/$value (profilephoto-get.md)."""
        return _photo(self.directory_user(user_id))


def user_resource(user: DirectoryUser, select: str | None = None) -> dict[str, Any]:
    """Graph's user resource; without `$select` only the default properties (user-list.md)."""
    everything: dict[str, Any] = {
        "id": user.object_id,
        "displayName": user.display_name,
        "givenName": user.given_name,
        "surname": user.surname,
        "userPrincipalName": user.user_principal_name,
        "mail": user.mail,
        "jobTitle": user.job_title,
        "accountEnabled": user.account_enabled,
        "businessPhones": [],
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
    }
    wanted = select.split(",") if select else DEFAULT_USER_PROPERTIES
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
        **{name: everything.get(name) for name in wanted},
    }


def _photo(user: DirectoryUser) -> Response:
    if user.photo is None:
        raise GraphError(404, "ImageNotFound", "Exception of type ImageNotFoundException.")
    return Response(user.photo, 200, mimetype=user.photo_content_type)


def _graph_error(error: GraphError) -> tuple[Response, int]:
    inner = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
        "request-id": str(uuid.uuid4()),
        "client-request-id": request.headers.get("client-request-id", str(uuid.uuid4())),
    }
    body = {"error": {"code": error.code, "message": error.message, "innerError": inner}}
    return jsonify(body), error.status
