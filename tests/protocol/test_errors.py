"""SCIM error messages (RFC 7644 §3.12)."""

from __future__ import annotations

import pytest

from scim_server.protocol import errors
from scim_server.protocol.errors import ERROR_SCHEMA, ScimError

SCIM_TYPES = {
    errors.InvalidFilter: ("400", "invalidFilter"),
    errors.TooMany: ("400", "tooMany"),
    errors.Uniqueness: ("409", "uniqueness"),
    errors.Mutability: ("400", "mutability"),
    errors.InvalidSyntax: ("400", "invalidSyntax"),
    errors.InvalidPath: ("400", "invalidPath"),
    errors.NoTarget: ("400", "noTarget"),
    errors.InvalidValue: ("400", "invalidValue"),
    errors.InvalidVersion: ("400", "invalidVers"),
    errors.Sensitive: ("403", "sensitive"),
}
PLAIN_STATUSES = {
    errors.NotModified: "304",
    errors.Unauthorized: "401",
    errors.Forbidden: "403",
    errors.NotFound: "404",
    errors.MethodNotAllowed: "405",
    errors.Conflict: "409",
    errors.PreconditionFailed: "412",
    errors.PayloadTooLarge: "413",
    errors.OperationNotImplemented: "501",
}


@pytest.mark.parametrize(("error", "expected"), SCIM_TYPES.items(), ids=str)
def test_scim_types_of_table_9(error: type[ScimError], expected: tuple[str, str]) -> None:
    body = error("It went wrong.").to_body()
    assert body == {
        "schemas": [ERROR_SCHEMA],
        "status": expected[0],
        "scimType": expected[1],
        "detail": "It went wrong.",
    }


@pytest.mark.parametrize(("error", "status"), PLAIN_STATUSES.items(), ids=str)
def test_plain_statuses_have_no_scim_type(error: type[ScimError], status: str) -> None:
    body = error().to_body()
    assert body["status"] == status
    assert "scimType" not in body
    assert body["detail"], "Okta requires a detail on 401 and 404"


def test_status_is_a_string_and_matches_the_http_status() -> None:
    error = errors.NotFound("Resource 2819c223 not found")
    assert error.status == 404
    assert error.to_body()["status"] == "404"
    assert str(error) == "Resource 2819c223 not found"
