"""scim2-tester, as its authors ship it, against the service started as the README says.

The service runs as an operator runs it: `kinabase-m365 db upgrade`, `org create`, `token
create`, then `kinabase-m365 serve` (gunicorn, default workers, production mode) on a free loopback
port, on each database engine under test (see `tests.conformance.served`). scim2-tester talks to it
over HTTP through scim2-client's httpx2 engine, with the bearer token the CLI printed, exactly as
scim2-tester's tutorial does: `check_server(SyncSCIMClient(httpx_client))`.

Nothing of scim2-tester is adapted: no check is filtered out, and every value it sends is its own
(a random UUID as userName, no email address, random values for every other attribute).
`check_server` runs every check it has (discovery, CRUD, attribute projection, `/.search`,
PATCH add/remove/replace of every attribute, unknown URLs); the one checker it does not call,
`core_schemas_validation`, runs on its own. Every result must be a SUCCESS; a check that this
service could not pass for a reason the RFCs support would go in `SKIPPED`, with that reason
(there is none). The server must log no traceback during the run: a fault it answered with a
500 is a failure even when no check looked at the response.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import CheckResult, Status, check_server
from scim2_tester.checkers import core_schemas_validation
from scim2_tester.utils import CheckConfig, CheckContext

from kinabase.database import make_engine
from tests.conformance.served import ServedService, serve_as_the_readme_says
from tests.conftest import empty_all_tables

pytestmark = pytest.mark.conformance

# A line of gunicorn's access log for a request answered 1xx, 2xx or 3xx.
SUCCESSFUL_REQUEST = re.compile(r'^\S+ - - \[[^]]*\] "[^"]*" [123]\d\d ')

# Check title -> why this service does not pass it (none today).
SKIPPED: dict[str, str] = {}

# What each resource type must at least have been put through, so that a run cut short by a
# failed discovery cannot pass.
RESOURCE_CHECKS = {
    "object_creation",
    "object_query",
    "object_query_without_id",
    "object_query_with_attributes",
    "object_list_with_attributes",
    "search_with_attributes",
    "object_replacement",
    "object_deletion",
    "check_add_attribute",
    "check_remove_attribute",
    "check_replace_attribute",
}
DISCOVERY_CHECKS = {
    "service_provider_config_endpoint",
    "service_provider_config_endpoint_methods",
    "query_all_resource_types",
    "query_resource_type_by_id",
    "resource_types_schema_validation",
    "access_invalid_resource_type",
    "resource_types_endpoint_methods",
    "query_all_schemas",
    "access_schema_by_id",
    "access_invalid_schema",
    "schemas_endpoint_methods",
    "random_url",
}


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedService]:
    """`kinabase-m365 serve` on the test database; stopped, and the database emptied, after."""
    workdir = tmp_path_factory.mktemp("served")
    try:
        with serve_as_the_readme_says(database_url, workdir) as service:
            yield service
    finally:
        engine = make_engine(database_url)
        try:
            empty_all_tables(engine)
        finally:
            engine.dispose()


@pytest.fixture
def scim(served: ServedService) -> Iterator[SyncSCIMClient]:
    """scim2-client's HTTP engine on the served SCIM base URL, with the CLI's token."""
    with httpx2.Client(
        base_url=served.base_url, headers={"Authorization": f"Bearer {served.token}"}
    ) as http:
        yield SyncSCIMClient(http)


def _passed(result: CheckResult) -> bool:
    if result.status is Status.SKIPPED:
        return result.title in SKIPPED
    return result.status is Status.SUCCESS


def _describe(results: list[CheckResult], served: ServedService) -> str:
    lines = [f"{r.resource_type or '-'} {r.title}: {r.status.name}: {r.reason}" for r in results]
    # The server's own messages and its refused requests; the successful ones only add noise.
    logged = [line for line in served.log().splitlines() if not SUCCESSFUL_REQUEST.search(line)]
    return "\n".join([*lines, "--- server log, without its successful requests ---", *logged[-60:]])


def _assert_no_server_fault(served: ServedService) -> None:
    log = served.log()
    assert "Traceback" not in log, log


def test_check_server_every_check_succeeds(scim: SyncSCIMClient, served: ServedService) -> None:
    results = check_server(scim)

    failed = [r for r in results if not _passed(r)]
    assert not failed, _describe(failed, served)
    titles = {r.title for r in results if r.resource_type is None}
    assert titles >= DISCOVERY_CHECKS, sorted(DISCOVERY_CHECKS - titles)
    for resource_type in ("User", "Group"):
        titles = {r.title for r in results if r.resource_type == resource_type}
        assert titles >= RESOURCE_CHECKS, (resource_type, sorted(RESOURCE_CHECKS - titles))
    attributes_patched = {
        r.data["urn"]
        for r in results
        if r.title == "check_replace_attribute" and isinstance(r.data, dict)
    }
    assert "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager" in (
        attributes_patched
    ), "every attribute, extension included, is PATCHed"
    _assert_no_server_fault(served)


def test_core_schemas_validation(scim: SyncSCIMClient, served: ServedService) -> None:
    """/Schemas serves the ResourceType, ServiceProviderConfig and Schema schemas too."""
    [result] = core_schemas_validation(CheckContext(scim, CheckConfig()))
    assert result.status is Status.SUCCESS, _describe([result], served)
    _assert_no_server_fault(served)
