"""What every SCIM handler needs from the request: session, organisation, query parameters."""

from __future__ import annotations

from flask import request
from sqlalchemy.orm import Session

from kinabase_m365.database import db_session
from kinabase_m365.runtime import current_settings
from scim_server.protocol.etag import Preconditions
from scim_server.protocol.projection import Projection, parse_projection
from scim_server.protocol.query import ListQuery, parse_list_query, parse_search_request
from scim_server.protocol.registry import ResourceSchema
from scim_server.resources.auth import current_org_id
from scim_server.resources.http import request_json


def session_and_org() -> tuple[Session, int]:
    """The request's database session and the authenticated organisation."""
    return db_session(), current_org_id()


def projection(schema: ResourceSchema) -> Projection:
    """`attributes` / `excludedAttributes` of the request (RFC 7644 §3.9)."""
    return parse_projection(
        request.args.get("attributes"), request.args.get("excludedAttributes"), schema
    )


def list_query(schema: ResourceSchema) -> ListQuery:
    """The query of a GET on an endpoint (RFC 7644 §3.4.2); `+` already decodes as a space."""
    return parse_list_query(
        request.args.to_dict(), schema, max_page_size=current_settings().scim_max_page_size
    )


def search_query(schema: ResourceSchema) -> ListQuery:
    """The query of a POST to `.search` (RFC 7644 §3.4.3)."""
    return parse_search_request(
        request_json(), schema, max_page_size=current_settings().scim_max_page_size
    )


def preconditions() -> Preconditions:
    """The request's If-Match and If-None-Match headers (RFC 7644 §3.14)."""
    return Preconditions(request.headers.get("If-Match"), request.headers.get("If-None-Match"))
