"""The provisioning service without Flask: a session, an organisation and parsed SCIM input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation
from kinabase.organisations import Organisation
from scim_server.protocol.discovery import load_registry
from scim_server.protocol.patch_request import PatchRequest, parse_patch_request
from scim_server.protocol.resource import ParsedResource, parse_resource

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def acme(session: Session) -> Organisation:
    """An organisation with five licence seats."""
    return create_organisation(session, "Acme", licence_seats=5)


def user_body(user_name: str, **attributes: Any) -> ParsedResource:
    """A POST /Users body, parsed as the SCIM endpoint parses it (RFC 7644 §3.3)."""
    return parse_resource(
        {"schemas": [USER], "userName": user_name, **attributes}, load_registry().user
    )


def group_body(display_name: str, members: Sequence[str] = (), **attributes: Any) -> ParsedResource:
    """A POST /Groups body with these member ids, parsed."""
    body = {
        "schemas": [GROUP],
        "displayName": display_name,
        "members": [{"value": member} for member in members],
        **attributes,
    }
    return parse_resource(body, load_registry().group)


def user_patch(*operations: dict[str, Any]) -> PatchRequest:
    """A PatchOp for a User (RFC 7644 §3.5.2), parsed."""
    return parse_patch_request(
        {"schemas": [PATCH_OP], "Operations": list(operations)}, load_registry().user
    )
