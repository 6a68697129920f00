"""The route table of /scim/v2 (RFC 7644 §3.2): endpoint, method → handler.

Anything else under /scim/v2 is a SCIM 404, and an unsupported method a SCIM 405 (see
`scim_server.resources.init_app`).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

from flask import Blueprint, Response, g, request
from sqlalchemy.exc import SQLAlchemyError

from kinabase.errors import DomainError
from kinabase_m365.database import WRITE_METHODS, commit_write
from kinabase_m365.request_log import note_organisation
from scim_server.protocol.errors import ScimError
from scim_server.protocol.limits import check_parameters
from scim_server.resources import bulk, discovery, groups, search, users
from scim_server.resources.activity import recorded
from scim_server.resources.auth import authenticate_credential
from scim_server.resources.error_handlers import (
    render_database_error,
    render_domain_error,
    render_scim_error,
    render_unexpected_error,
)
from scim_server.resources.http import BASE_PATH
from scim_server.resources.rate_limits import RateLimited, check_scim_request, render_rate_limited
from scim_server.resources.request_limits import limit_request_body
from scim_server.resources.retries import retry_on_conflict

blueprint = Blueprint("scim", __name__, url_prefix=BASE_PATH)


blueprint.register_error_handler(ScimError, render_scim_error)
blueprint.register_error_handler(RateLimited, render_rate_limited)
blueprint.register_error_handler(DomainError, render_domain_error)
blueprint.register_error_handler(SQLAlchemyError, render_database_error)
blueprint.register_error_handler(Exception, render_unexpected_error)


@blueprint.before_request
def _limit_body() -> None:
    """A body over the configured size is 413 before it is read (`request_limits`)."""
    limit_request_body()


@blueprint.before_request
def _check_url() -> None:
    """Query parameters and ids in the path keep the string limits (`protocol.limits`)."""
    check_parameters([*request.args.items(multi=True), *(request.view_args or {}).items()])


@blueprint.before_request
def _authenticate() -> None:
    """Every SCIM request names its organisation with a bearer token (RFC 7644 §2), and counts
    against that credential's rate limit."""
    credential = authenticate_credential(request.headers.get("Authorization"))
    g.scim_org_id = credential.org_id
    g.scim_credential = credential
    note_organisation(credential.org_id, str(credential))
    check_scim_request(credential.kind, credential.id)


Handler = Callable[..., Response]


def committed(handler: Handler) -> Handler:
    """Commit a write's transaction once its handler has answered, unless the handler did so
    itself before rendering its answer (`commit_write`).

    The one commit of a SCIM write (DESIGN.md, "One write, one transaction"): the provisioning
    service never commits, and anything raised before the commit is rolled back with the
    request's session.
    """

    @functools.wraps(handler)
    def run(*args: object, **kwargs: object) -> Response:
        response = handler(*args, **kwargs)
        commit_write()
        return response

    return run


# The resource type each write route's activity entries name; POST to `.search` is a read.
RECORDED = {users: "User", groups: "Group", bulk: "Bulk"}

ROUTES: list[tuple[str, str, Handler]] = [
    ("/ServiceProviderConfig", "GET", discovery.get_service_provider_config),
    # Microsoft's reference Postman collection also calls this older name.
    ("/serviceConfiguration", "GET", discovery.get_service_provider_config),
    ("/ResourceTypes", "GET", discovery.list_resource_types),
    ("/ResourceTypes/<type_id>", "GET", discovery.get_resource_type),
    ("/Schemas", "GET", discovery.list_schemas),
    ("/Schemas/<schema_id>", "GET", discovery.get_schema),
    ("/openapi.json", "GET", discovery.get_openapi),
    ("/Users", "GET", users.query),
    ("/Users", "POST", users.create),
    ("/Users/.search", "POST", users.search),
    ("/Users/<user_id>", "GET", users.get),
    ("/Users/<user_id>", "PUT", users.replace),
    ("/Users/<user_id>", "PATCH", users.patch),
    ("/Users/<user_id>", "DELETE", users.delete),
    ("/Groups", "GET", groups.query),
    ("/Groups", "POST", groups.create),
    ("/Groups/.search", "POST", groups.search),
    ("/Groups/<group_id>", "GET", groups.get),
    ("/Groups/<group_id>", "PUT", groups.replace),
    ("/Groups/<group_id>", "PATCH", groups.patch),
    ("/Groups/<group_id>", "DELETE", groups.delete),
    ("/.search", "POST", search.search_all),
    ("/Bulk", "POST", bulk.bulk),
]


def _view(path: str, method: str, handler: Handler) -> Handler:
    """A read as it is; a write committed once, run again after a conflict, and recorded in the
    provisioning activity (`resources.activity`) unless it only searches."""
    if method not in WRITE_METHODS:
        return handler
    view = retry_on_conflict(committed(handler))
    module = sys.modules[handler.__module__]
    if path.endswith("/.search") or module not in RECORDED:
        return view
    return recorded(RECORDED[module])(view)


for _path, _method, _handler in ROUTES:
    blueprint.add_url_rule(
        _path,
        endpoint=f"{_method.lower()}_{_handler.__module__.rsplit('.', 1)[-1]}_{_handler.__name__}",
        view_func=_view(_path, _method, _handler),
        methods=[_method],
        # Microsoft's reference Postman collection queries `/Users/?filter=...`.
        strict_slashes=False,
    )
