"""The Graph emulator's directory answers as Graph does: what it refuses, and what app-only
tokens may read (the rules the directory reads' tests rely on)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask

from tests.emulators import EmulatedMicrosoft, emulate_microsoft
from tests.emulators.cloud import AccessGrant, MicrosoftCloud, Tenant
from tests.emulators.graph_queries import Pager

GRAPH = "https://graph.microsoft.com/v1.0"


@pytest.fixture
def microsoft() -> EmulatedMicrosoft:
    cloud = MicrosoftCloud()
    tenant = cloud.add_tenant("contoso.test")
    alice = tenant.add_user("alice", "Alice")
    tenant.add_user("bob", "Bob", manager_id=alice.object_id)
    tenant.add_group("Sales", [alice])
    return emulate_microsoft(cloud)


def tenant_of(microsoft: EmulatedMicrosoft) -> Tenant:
    (tenant,) = microsoft.cloud.tenants.values()
    return tenant


def app_token(microsoft: EmulatedMicrosoft, *roles: str) -> dict[str, str]:
    """An app-only token of the tenant with these application permissions."""
    grant = AccessGrant(tenant_of(microsoft).tenant_id, "app", frozenset(), None, frozenset(roles))
    return {"Authorization": f"Bearer {microsoft.cloud.issue_access_token(grant)}"}


def get(microsoft: EmulatedMicrosoft, path: str, **headers: str) -> requests.Response:
    auth = app_token(microsoft, "User.Read.All", "GroupMember.Read.All")
    return microsoft.session.get(f"{GRAPH}{path}", headers={**auth, **headers})


@pytest.mark.parametrize(
    ("path", "headers", "code"),
    [
        ("/users?$top=1000", {}, "Request_BadRequest"),
        ("/users?$count=true", {}, "Request_BadRequest"),
        ("/users?$filter=city eq 'Paris'", {}, "Request_UnsupportedQuery"),
        ("/users?$filter=startswith(displayName,'a'", {}, "BadRequest"),
        ("/users?$expand=memberOf", {}, "Request_UnsupportedQuery"),
        ("/groups/{sales}/transitiveMembers/microsoft.graph.user", {}, "Request_UnsupportedQuery"),
        (
            "/groups/{sales}/transitiveMembers/microsoft.graph.user?$count=true&$expand=manager",
            {"ConsistencyLevel": "eventual"},
            "Request_UnsupportedQuery",
        ),
    ],
)
def test_queries_graph_refuses_are_400(
    microsoft: EmulatedMicrosoft, path: str, headers: dict[str, str], code: str
) -> None:
    (sales,) = tenant_of(microsoft).groups
    response = get(microsoft, path.format(sales=sales), **headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_select_expand_and_filter(microsoft: EmulatedMicrosoft) -> None:
    response = get(
        microsoft,
        "/users?$select=displayName,accountEnabled&$expand=manager($select=id)"
        "&$filter=startswith(displayName,'B') or displayName eq 'nobody'",
    )

    (bob,) = response.json()["value"]
    alice = next(u for u in tenant_of(microsoft).users.values() if u.display_name == "Alice")
    assert bob == {
        "displayName": "Bob",
        "accountEnabled": True,
        "manager": {"@odata.type": "#microsoft.graph.user", "id": alice.object_id},
    }


def test_app_only_tokens_read_only_what_their_roles_cover(microsoft: EmulatedMicrosoft) -> None:
    users_only = app_token(microsoft, "User.Read.All")
    groups_only = app_token(microsoft, "GroupMember.Read.All")

    def status(path: str, headers: dict[str, str]) -> int:
        return microsoft.session.get(f"{GRAPH}{path}", headers=headers).status_code

    assert status("/users", users_only) == 200 and status("/groups", users_only) == 403
    assert status("/groups", groups_only) == 200 and status("/users", groups_only) == 403
    denied = microsoft.session.get(f"{GRAPH}/users/delta", headers=groups_only).json()
    assert denied["error"]["code"] == "Authorization_RequestDenied"


def test_manager_is_404_when_there_is_none(microsoft: EmulatedMicrosoft) -> None:
    assert get(microsoft, "/users/alice@contoso.test/manager").status_code == 404
    assert get(microsoft, "/users/bob@contoso.test/manager").json()["displayName"] == "Alice"


def test_delta_tracks_only_selected_properties(microsoft: EmulatedMicrosoft) -> None:
    tenant = tenant_of(microsoft)
    first = get(microsoft, "/users/delta?$select=displayName,jobTitle").json()
    bob = next(u for u in tenant.users.values() if u.display_name == "Bob")

    tenant.update_user(bob, department="Sales")  # not selected: not reported
    quiet = microsoft.session.get(
        first["@odata.deltaLink"], headers=app_token(microsoft, "User.Read.All")
    ).json()
    tenant.update_user(bob, job_title="Builder")
    changed = microsoft.session.get(
        quiet["@odata.deltaLink"], headers=app_token(microsoft, "User.Read.All")
    ).json()

    assert len(first["value"]) == 2 and "@odata.nextLink" not in first
    assert quiet["value"] == []
    assert changed["value"] == [{"id": bob.object_id, "jobTitle": "Builder"}]


def test_a_page_builds_only_its_own_objects() -> None:
    """Serving a page of a long listing renders that page's objects, not the whole listing: the
    directory-pull benchmark hosts the emulator in the worker's process, where building every
    user of the directory for each page counted as the worker's memory, growing with N."""
    rendered: list[int] = []

    def render(n: int) -> dict[str, Any]:
        rendered.append(n)
        return {"id": str(n)}

    pager, app = Pager(), Flask(__name__)
    with app.test_request_context("/users?$top=10&$count=true"):
        first = pager.page(iter(range(1000)), 999, render)
    assert first["value"] == [{"id": str(n)} for n in range(10)]
    assert first["@odata.count"] == 1000
    assert rendered == list(range(10))

    (token,) = parse_qs(urlsplit(first["@odata.nextLink"]).query)["$skiptoken"]
    with app.test_request_context(f"/users?$top=10&$skiptoken={token}"):
        second = pager.page(iter(range(1000)), 999, render)
    assert second["value"] == [{"id": str(n)} for n in range(10, 20)]
    assert "@odata.count" not in second
    assert rendered == list(range(20))

    with app.test_request_context("/users?$top=999"):
        last = pager.page(iter(range(1000)), 999, render)
    (token,) = parse_qs(urlsplit(last["@odata.nextLink"]).query)["$skiptoken"]
    with app.test_request_context(f"/users?$top=999&$skiptoken={token}"):
        last = pager.page(iter(range(1000)), 999, render)
    assert last["value"] == [{"id": "999"}]
    assert "@odata.nextLink" not in last
