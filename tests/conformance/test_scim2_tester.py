"""scim2-tester's checks against the app, in-process, on each database engine.

`check_server` runs every check it has (discovery, CRUD, attribute projection, `/.search`, PATCH
add/remove/replace of every attribute, unknown URLs) with no tag filtered out; the one checker it
does not call, `core_schemas_validation`, runs on its own. Every result must be a SUCCESS. A check
that this service cannot pass for a reason the RFCs support goes in `SKIPPED`, with that reason.

The requests go through scim2-client's WSGI engine straight into the Flask app, on the test
database, with a real bearer token: nothing leaves the process.

One input is adapted, not any check: Kinabase accounts are keyed by email address, so a User
whose userName is not an email address and who has no email is refused with 400 `invalidValue`
(see `scim_server.mapping.errors.MissingEmail`). scim2-tester fills userName with a random UUID,
so the test gives the User model's userName email-shaped example values, which scim2-tester
draws from; every other value is scim2-tester's own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import CheckResult, Status, check_server
from scim2_tester.checkers import core_schemas_validation
from scim2_tester.utils import CheckConfig, CheckContext

from tests.conftest import Provisioned

pytestmark = pytest.mark.conformance

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


class EmailAddresses(Sequence[str]):
    """Example values scim2-tester draws from: a new email address at every draw."""

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: Any) -> Any:
        if index != 0:
            raise IndexError(index)
        return f"{uuid.uuid4()}@conformance.test"


@pytest.fixture
def scim(app: Any, acme: Provisioned) -> WSGISCIMClient:
    """A scim2-client on the app, with Acme's token, that has read the discovery endpoints."""
    client = WSGISCIMClient(
        app,
        base_url="http://localhost/scim/v2",
        headers={"Authorization": f"Bearer {acme.scim.token}"},
    )
    client.discover()
    for resource_type in client.provider.resource_types:
        model = client.provider.model_for(resource_type)
        if model is not None and "user_name" in model.model_fields:
            model.model_fields["user_name"].examples = EmailAddresses()
    return client


def _passed(result: CheckResult) -> bool:
    if result.status is Status.SKIPPED:
        return result.title in SKIPPED
    return result.status is Status.SUCCESS


def _describe(results: list[CheckResult]) -> str:
    return "\n".join(
        f"{r.resource_type or '-'} {r.title}: {r.status.name}: {r.reason}" for r in results
    )


def test_check_server_every_check_succeeds(scim: WSGISCIMClient) -> None:
    results = check_server(scim)

    failed = [r for r in results if not _passed(r)]
    assert not failed, _describe(failed)
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


def test_core_schemas_validation(scim: WSGISCIMClient) -> None:
    """/Schemas serves the ResourceType, ServiceProviderConfig and Schema schemas too."""
    [result] = core_schemas_validation(CheckContext(scim, CheckConfig()))
    assert result.status is Status.SUCCESS, result.reason
