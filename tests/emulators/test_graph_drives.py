"""The Graph emulator's upload sessions and items follow Graph's rules (reference §2.1), which
the SharePoint provider's tests rely on."""

from __future__ import annotations

import pytest
import requests

from tests.emulators import EmulatedMicrosoft, emulate_microsoft
from tests.emulators.cloud import AccessGrant, Drive, MicrosoftCloud

GRAPH = "https://graph.microsoft.com/v1.0"
UNIT = 320 * 1024


@pytest.fixture
def microsoft() -> EmulatedMicrosoft:
    cloud = MicrosoftCloud()
    cloud.add_tenant("contoso.test").add_site("Team").add_library("Documents")
    return emulate_microsoft(cloud)


def library(microsoft: EmulatedMicrosoft) -> Drive:
    (tenant,) = microsoft.cloud.tenants.values()
    (site,) = tenant.sites.values()
    (drive,) = site.drives.values()
    return drive


def auth(microsoft: EmulatedMicrosoft, *roles: str) -> dict[str, str]:
    (tenant,) = microsoft.cloud.tenants.values()
    grant = AccessGrant(tenant.tenant_id, "app", frozenset(), None, frozenset(roles))
    return {"Authorization": f"Bearer {microsoft.cloud.issue_access_token(grant)}"}


def upload_url(microsoft: EmulatedMicrosoft, path: str, behavior: str = "fail") -> str:
    url = f"{GRAPH}/drives/{library(microsoft).drive_id}/root:/{path}:/createUploadSession"
    body = {"item": {"@microsoft.graph.conflictBehavior": behavior}}
    response = microsoft.session.post(
        url, json=body, headers=auth(microsoft, "Sites.ReadWrite.All")
    )
    assert response.status_code == 200
    return str(response.json()["uploadUrl"])


def put(
    url: str, session: requests.Session, data: bytes, start: int, total: int, **headers: str
) -> requests.Response:
    content_range = f"bytes {start}-{start + len(data) - 1}/{total}"
    return session.put(url, data=data, headers={"Content-Range": content_range, **headers})


def test_fragments_follow_graphs_rules(microsoft: EmulatedMicrosoft) -> None:
    url = upload_url(microsoft, "folder/big.bin")
    session = microsoft.session
    total = 2 * UNIT + 10

    assert url.startswith("https://contoso.sharepoint.com/")
    assert put(url, session, b"x" * (UNIT + 1), 0, total).status_code == 400  # not 320 KiB
    assert put(url, session, b"x" * UNIT, 0, total, Authorization="Bearer t").status_code == 401
    first = put(url, session, b"x" * UNIT, 0, total)
    assert (first.status_code, first.json()["nextExpectedRanges"]) == (202, [f"{UNIT}-"])
    again = put(url, session, b"x" * UNIT, 0, total)
    assert (again.status_code, again.json()["error"]["code"]) == (416, "invalidRange")
    assert session.get(url).json()["nextExpectedRanges"] == [f"{UNIT}-"]
    last = put(url, session, b"y" * (UNIT + 10), UNIT, total)
    assert last.status_code == 201
    assert last.json()["size"] == total
    assert [item.name for item in library(microsoft).files()] == ["big.bin"]
    assert session.get(url).status_code == 404  # the session ended with the file


def test_a_name_conflict_shows_at_the_last_fragment(microsoft: EmulatedMicrosoft) -> None:
    library(microsoft).add_file("taken.bin", b"old")
    url = upload_url(microsoft, "taken.bin", behavior="fail")

    refused = put(url, microsoft.session, b"new", 0, 3)

    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "nameAlreadyExists")


def test_items_need_sites_permissions_and_stay_in_their_tenant(
    microsoft: EmulatedMicrosoft,
) -> None:
    drive_id = library(microsoft).drive_id
    url = f"{GRAPH}/drives/{drive_id}"
    directory_only, sites_read = auth(microsoft, "User.Read.All"), auth(microsoft, "Sites.Read.All")
    other = microsoft.cloud.add_tenant("fabrikam.test")
    foreign = AccessGrant(other.tenant_id, "app", frozenset(), None, frozenset({"Sites.Read.All"}))
    foreign_token = {"Authorization": f"Bearer {microsoft.cloud.issue_access_token(foreign)}"}

    assert microsoft.session.get(url, headers=directory_only).status_code == 403
    assert microsoft.session.get(url, headers=sites_read).status_code == 200
    assert microsoft.session.get(url, headers=foreign_token).status_code == 404


def test_sites_by_search_and_address_and_a_librarys_root_and_paths(
    microsoft: EmulatedMicrosoft,
) -> None:
    documents = library(microsoft)
    documents.add_file("Kinabase/record-1/a.txt", b"a")
    documents.add_file("top.txt", b"t")
    headers = auth(microsoft, "Sites.Read.All")
    get = microsoft.session.get

    everything = get(f"{GRAPH}/sites", params={"search": "*"}, headers=headers).json()
    none = get(f"{GRAPH}/sites", params={"search": "sales"}, headers=headers).json()
    by_address = get(f"{GRAPH}/sites/contoso.sharepoint.com:/sites/Team", headers=headers)
    unknown = get(f"{GRAPH}/sites/contoso.sharepoint.com:/sites/Nope", headers=headers)
    root = get(f"{GRAPH}/drives/{documents.drive_id}/root", headers=headers).json()
    by_path = get(
        f"{GRAPH}/drives/{documents.drive_id}/root:/Kinabase/record-1/a.txt", headers=headers
    )
    no_path = get(f"{GRAPH}/drives/{documents.drive_id}/root:/Kinabase/nothing", headers=headers)

    assert [site["name"] for site in everything["value"]] == ["Team"]
    assert none["value"] == []
    assert by_address.json()["id"] == everything["value"][0]["id"]
    assert unknown.status_code == 404
    assert root["folder"]["childCount"] == 2
    assert by_path.json()["name"] == "a.txt"
    assert no_path.status_code == 404


def test_renaming_refuses_or_renames_around_a_taken_name(microsoft: EmulatedMicrosoft) -> None:
    documents = library(microsoft)
    documents.add_file("f/report.pdf", b"1")
    staged = documents.add_file("f/.staged", b"2")
    url = f"{GRAPH}/drives/{documents.drive_id}/items/{staged.item_id}"
    headers = auth(microsoft, "Sites.ReadWrite.All")

    refused = microsoft.session.patch(url, json={"name": "report.pdf"}, headers=headers)
    renamed = microsoft.session.patch(
        url,
        params={"@microsoft.graph.conflictBehavior": "rename"},
        json={"name": "report.pdf"},
        headers=headers,
    )
    read_only = microsoft.session.patch(
        url, json={"name": "x.pdf"}, headers=auth(microsoft, "Sites.Read.All")
    )

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "nameAlreadyExists"
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["id"]) == ("report 1.pdf", staged.item_id)
    assert read_only.status_code == 403
