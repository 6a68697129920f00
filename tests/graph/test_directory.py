"""The directory reads (graph.directory) against the Graph emulator: paging, search, managers,
photos, security groups and their nested members, delta rounds, permissions and tenants."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from graph.directory import (
    GraphUser,
    RemovedUser,
    get_user,
    iter_group_users,
    iter_security_groups,
    iter_users,
    user_photo,
    users_delta,
)
from graph.errors import ConsentMissing, DeltaExpired, TokenRefused
from tests.emulators.cloud import DirectoryGroup, DirectoryUser
from tests.emulators.transport import RecordedRequest
from tests.graph.conftest import GRAPH, Directory

JPEG = b"\xff\xd8\xff\xe0 a photo"


@dataclass
class Contoso:
    """Contoso's people and groups (Fabrikam keeps only Carol)."""

    dana: DirectoryUser
    erin: DirectoryUser
    guest: DirectoryUser
    sales: DirectoryGroup
    emea: DirectoryGroup
    everyone: DirectoryGroup


@pytest.fixture
def contoso(directory: Directory, service: Flask) -> Contoso:
    """Seven Contoso users (a guest among them, Dana managing Erin), nested security groups, a
    Microsoft 365 group; both tenants consented."""
    tenant = directory.contoso
    bob = next(u for u in tenant.users.values() if u.display_name == "Bob Builder")
    bob.photo = JPEG
    dana = tenant.add_user("dana", "Dana Director", given_name="Dana", surname="Director")
    erin = tenant.add_user(
        "erin",
        "Erin O'Neil",
        manager_id=dana.object_id,
        department="Sales",
        employee_id="E-42",
        job_title="Account Executive",
    )
    tenant.add_user("frank", "Frank Field", manager_id=dana.object_id, account_enabled=False)
    guest = tenant.add_user(
        "gus_fabrikam.test#EXT#", "Gus Guest", user_type="Guest", mail="gus@fabrikam.test"
    )
    tenant.add_user("hana", "Hana Hill")
    emea = tenant.add_group("EMEA", [erin, guest], description="Europe")
    sales = tenant.add_group("Sales", [dana, emea, erin])
    emea.members.append(sales.object_id)  # a cycle Graph tolerates
    everyone = tenant.add_group("Everyone", [dana], security_enabled=False, mail_enabled=True)
    directory.consent(directory.contoso)
    directory.consent(directory.fabrikam)
    return Contoso(dana, erin, guest, sales, emea, everyone)


def graph_gets(directory: Directory, path: str) -> list[RecordedRequest]:
    """The requests that reached Graph at this path."""
    return [r for r in directory.microsoft.requests_to(path) if r.url.startswith(GRAPH)]


def query(recorded: RecordedRequest) -> dict[str, str]:
    """A recorded request's query options."""
    return {k: v[0] for k, v in parse_qs(urlsplit(recorded.url).query).items()}


def test_users_stream_page_by_page_following_next_links_verbatim(
    directory: Directory, contoso: Contoso
) -> None:
    directory.microsoft.cloud.page_size = 3
    tenant_id = directory.contoso.tenant_id

    users = iter_users(tenant_id)
    first = next(users)
    assert len(graph_gets(directory, "/v1.0/users")) == 1  # one page read, not the directory
    everyone = [first, *users]

    assert len(everyone) == 7
    assert {u.display_name for u in everyone} >= {"Alice Admin", "Gus Guest", "Frank Field"}
    requests = graph_gets(directory, "/v1.0/users")
    assert len(requests) == 3
    assert query(requests[0]) == {
        "$select": "id,userPrincipalName,displayName,givenName,surname,mail,jobTitle,"
        "department,employeeId,accountEnabled",
        "$expand": "manager($select=id)",
        "$top": "999",
    }
    # Each page's request is the link the page before gave, to the byte.
    links = [json.loads(r.response_body)["@odata.nextLink"] for r in requests[:2]]
    assert [r.url for r in requests[1:]] == links
    assert "@odata.nextLink" not in json.loads(requests[2].response_body)


def test_a_user_carries_every_property_the_pull_uses_and_the_managers_id(
    directory: Directory, contoso: Contoso
) -> None:
    tenant_id = directory.contoso.tenant_id
    by_name = {u.display_name: u for u in iter_users(tenant_id)}

    assert by_name["Erin O'Neil"] == GraphUser(
        id=contoso.erin.object_id,
        user_principal_name="erin@contoso.test",
        display_name="Erin O'Neil",
        given_name=None,
        surname=None,
        mail="erin@contoso.test",
        job_title="Account Executive",
        department="Sales",
        employee_id="E-42",
        account_enabled=True,
        manager_id=contoso.dana.object_id,
    )
    assert by_name["Dana Director"].manager_id is None
    assert by_name["Frank Field"].account_enabled is False
    assert get_user(tenant_id, "ERIN@contoso.test") == by_name["Erin O'Neil"]
    assert get_user(tenant_id, contoso.dana.object_id) == by_name["Dana Director"]
    assert get_user(tenant_id, "nobody@contoso.test") is None
    guest = get_user(tenant_id, contoso.guest.user_principal_name)  # a '#' in the path
    assert guest is not None and guest.id == contoso.guest.object_id


def test_search_keeps_users_whose_name_mail_or_upn_starts_with_the_text(
    directory: Directory, contoso: Contoso
) -> None:
    tenant_id = directory.contoso.tenant_id

    def names(text: str) -> set[str | None]:
        return {u.display_name for u in iter_users(tenant_id, search=text)}

    assert names("erin o'") == {"Erin O'Neil"}
    assert names("gus@fab") == {"Gus Guest"}  # mail
    assert names("gus_") == {"Gus Guest"}  # userPrincipalName
    assert names("zed") == set()
    # Every user still comes with the manager's id: search stays a default query.
    assert next(iter_users(tenant_id, search="erin")).manager_id == contoso.dana.object_id
    assert "ConsistencyLevel" not in graph_gets(directory, "/v1.0/users")[-1].headers


def test_photos_are_bytes_or_none(directory: Directory, contoso: Contoso) -> None:
    tenant_id = directory.contoso.tenant_id
    bob = get_user(tenant_id, "bob@contoso.test")

    assert bob is not None
    assert user_photo(tenant_id, bob.id) == JPEG
    assert user_photo(tenant_id, contoso.dana.object_id) is None


def test_security_groups_only_and_searchable(directory: Directory, contoso: Contoso) -> None:
    tenant_id = directory.contoso.tenant_id

    groups = {g.display_name: g for g in iter_security_groups(tenant_id)}
    found = [g.display_name for g in iter_security_groups(tenant_id, search="sa")]

    assert set(groups) == {"Sales", "EMEA"}  # Everyone is a Microsoft 365 group, not security
    assert groups["EMEA"].description == "Europe" and groups["EMEA"].id == contoso.emea.object_id
    assert found == ["Sales"]


def test_group_users_include_nested_groups_members_once_across_pages(
    directory: Directory, contoso: Contoso
) -> None:
    directory.microsoft.cloud.page_size = 2
    tenant_id = directory.contoso.tenant_id

    members = list(iter_group_users(tenant_id, contoso.sales.object_id))

    assert sorted(u.display_name or "" for u in members) == [
        "Dana Director",
        "Erin O'Neil",
        "Gus Guest",
    ]
    assert all(u.manager_id is None for u in members)  # not expandable on the cast
    path = f"/v1.0/groups/{contoso.sales.object_id}/transitiveMembers/microsoft.graph.user"
    requests = graph_gets(directory, path)
    assert len(requests) == 2
    assert all(r.headers["ConsistencyLevel"] == "eventual" for r in requests)
    assert query(requests[0])["$count"] == "true"
    assert [u.display_name for u in iter_group_users(tenant_id, contoso.emea.object_id)] == [
        "Erin O'Neil",
        "Gus Guest",
        "Dana Director",
    ]


def test_delta_reports_every_user_then_additions_updates_and_removals(
    directory: Directory, contoso: Contoso
) -> None:
    directory.microsoft.cloud.page_size = 3
    tenant = directory.contoso

    first = users_delta(tenant.tenant_id, None)
    assert len(first.changes) == 7 and len(graph_gets(directory, "/v1.0/users/delta")) == 3
    erin = next(c for c in first.changes if c.id == contoso.erin.object_id)
    assert isinstance(erin, GraphUser) and erin.manager_id == contoso.dana.object_id
    assert erin.department == "Sales" and erin.employee_id == "E-42"

    ivy = tenant.add_user("ivy", "Ivy Ives", manager_id=contoso.erin.object_id)
    tenant.update_user(contoso.erin, job_title="Head of Sales")
    tenant.remove_user(contoso.guest)
    second = users_delta(tenant.tenant_id, first.delta_link)

    changes = {c.id: c for c in second.changes}
    assert set(changes) == {ivy.object_id, contoso.erin.object_id, contoso.guest.object_id}
    assert changes[contoso.guest.object_id] == RemovedUser(contoso.guest.object_id)
    added = changes[ivy.object_id]
    assert isinstance(added, GraphUser) and added.manager_id == contoso.erin.object_id
    # Graph sent only the changed jobTitle: the rest was read again, manager included.
    assert changes[contoso.erin.object_id] == replace(erin, job_title="Head of Sales")
    assert len(graph_gets(directory, f"/v1.0/users/{contoso.erin.object_id}")) == 1
    assert graph_gets(directory, f"/v1.0/users/{ivy.object_id}") == []

    third = users_delta(tenant.tenant_id, second.delta_link)
    assert third.changes == []
    assert third.delta_link != second.delta_link


def test_a_forgotten_delta_link_asks_for_a_full_round(
    directory: Directory, contoso: Contoso
) -> None:
    stale = f"{GRAPH}/v1.0/users/delta?$deltatoken=forgotten"

    with pytest.raises(DeltaExpired):
        users_delta(directory.contoso.tenant_id, stale)


def test_missing_permissions_name_the_one_to_consent_to_again(
    directory: Directory, contoso: Contoso
) -> None:
    cloud = directory.microsoft.cloud
    tenant_id = directory.contoso.tenant_id
    client_id = directory.registration.client_id
    cloud.revoke_permission(tenant_id, client_id, "GroupMember.Read.All")
    cloud.revoke_permission(tenant_id, client_id, "User.Read.All")

    with pytest.raises(ConsentMissing) as groups:
        list(iter_security_groups(tenant_id))
    with pytest.raises(ConsentMissing) as members:
        list(iter_group_users(tenant_id, contoso.sales.object_id))
    with pytest.raises(ConsentMissing) as users:
        list(iter_users(tenant_id))
    with pytest.raises(ConsentMissing) as photo:
        user_photo(tenant_id, contoso.dana.object_id)

    assert groups.value.permission == members.value.permission == "GroupMember.Read.All"
    assert users.value.permission == photo.value.permission == "User.Read.All"
    assert "GroupMember.Read.All" in groups.value.message
    assert "admin consent" in groups.value.message
    assert "Insufficient privileges" in users.value.message


def test_a_permission_lost_in_the_middle_of_the_pages_is_consent_missing(
    directory: Directory, contoso: Contoso
) -> None:
    directory.microsoft.cloud.page_size = 3
    directory.microsoft.cloud.faults.graph_fault("/v1.0/users", 403, after=1)
    read: list[GraphUser] = []

    with pytest.raises(ConsentMissing, match=r"User\.Read\.All"):
        read.extend(iter_users(directory.contoso.tenant_id))

    assert len(read) == 3


def test_a_tenant_that_never_consented_keeps_the_token_refusal(
    directory: Directory, service: Flask
) -> None:
    with pytest.raises(TokenRefused, match="AADSTS7000229"):
        list(iter_users(directory.contoso.tenant_id))
    assert graph_gets(directory, "/v1.0/users") == []


def test_each_tenant_reads_its_own_directory_with_its_own_token(
    directory: Directory, contoso: Contoso
) -> None:
    cloud = directory.microsoft.cloud
    contoso_id, fabrikam_id = directory.contoso.tenant_id, directory.fabrikam.tenant_id

    fabrikam_users = [u.user_principal_name for u in iter_users(fabrikam_id)]
    contoso_users = [u.user_principal_name for u in iter_users(contoso_id)]

    assert fabrikam_users == ["carol@fabrikam.test"]
    assert "carol@fabrikam.test" not in contoso_users and len(contoso_users) == 7
    assert get_user(fabrikam_id, contoso.erin.object_id) is None
    assert list(iter_security_groups(fabrikam_id)) == []
    tenants_read = [
        cloud.access_tokens[r.headers["Authorization"].removeprefix("Bearer ")].tenant_id
        for r in graph_gets(directory, "/v1.0/users")
    ]
    assert tenants_read == [fabrikam_id, contoso_id]
