"""A SCIM client over Flask's test client: bearer token, SCIM media type, JSON in and out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

BASE = "/scim/v2"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class ScimClient:
    """Speaks to /scim/v2 as a provisioning client of one organisation."""

    http: FlaskClient
    token: str
    content_type: str = "application/scim+json"

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> TestResponse:
        all_headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/scim+json"}
        all_headers.update(headers or {})
        kwargs: dict[str, Any] = {"headers": all_headers}
        if body is not None:
            kwargs["json"] = body
            kwargs["content_type"] = self.content_type
        response = self.http.open(BASE + path, method=method, **kwargs)
        # Read a streamed body whole and close it, as a real client would, so the request's
        # transaction ends now (an open one would block the tests' table cleanup).
        response.get_data()
        response.close()
        return response

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> TestResponse:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> TestResponse:
        return self.request("PUT", path, body, **kw)

    def patch(self, path: str, operations: list[dict[str, Any]], **kw: Any) -> TestResponse:
        return self.request("PATCH", path, {"schemas": [PATCH_OP], "Operations": operations}, **kw)

    def delete(self, path: str, **kw: Any) -> TestResponse:
        return self.request("DELETE", path, **kw)

    def filter(self, endpoint: str, expression: str, extra: str = "") -> TestResponse:
        """GET endpoint?filter=…, encoded as Entra does (spaces as '+')."""
        encoded = quote(expression, safe="").replace("%20", "+")
        return self.get(f"{endpoint}?filter={encoded}{extra}")


def entra_user(user_name: str, given: str, family: str, external_id: str) -> dict[str, Any]:
    """A user as Entra's provisioning service POSTs it (both schemas, client meta, empty roles)."""
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": external_id,
        "userName": user_name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": f"{given} {family}", "familyName": family, "givenName": given},
        "displayName": f"{given} {family}",
        "roles": [],
    }
