"""python-scim's scim2-server as a WSGI application, for gunicorn.

`gunicorn 'benchmarks.scim2_app:create_app()'` serves the same application that the
`scim2-server` command builds (default RFC 7643 schemas, User and Group resource types, default
service provider configuration, in-memory storage, static bearer tokens), assembled here exactly
as scim2_server/testserver/cli.py assembles it.

Why not the command itself: it serves with wsgiref's ThreadingWSGIServer, whose listen backlog is
5. Eight concurrent clients that open a connection per request overflow it, the kernel drops
SYNs, and the client retransmits one second later: a p99 of about 1,030 ms that measures the
backlog, not scim2-server. Under gunicorn (one process, since the resources live in memory;
threads as many as the client's concurrency) the HTTP server is the same as ours.

The bearer token comes from the BENCH_SCIM2_TOKEN environment variable.
"""

from __future__ import annotations

import os
import secrets

from scim2_models import ScimProvider
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

TOKEN_VARIABLE = "BENCH_SCIM2_TOKEN"  # noqa: S105 - the name of a variable, not a secret


def create_app() -> BearerTokenApplication:
    """The scim2-server application with in-memory storage and one bearer token."""
    config = load_default_service_provider_config()
    config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(), load_default_resource_types().values(), config=config
    )
    service = ScimService(provider, secret=secrets.token_urlsafe(32))
    return BearerTokenApplication(
        InMemoryStorage(), provider, service=service, bearer_tokens=[os.environ[TOKEN_VARIABLE]]
    )
