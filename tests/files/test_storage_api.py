"""The File Storage page's JSON API: Administrators only, CSRF on changes, input validated; sites
and libraries read from Graph; consent missing said so; migrations started, refused twice,
followed to the end, and invisible to another organisation."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from jobs.queue import app_jobs
from kinabase.accounts import create_user
from kinabase.organisations import get_organisation
from kinabase.users import User, UserType
from tests.files.conftest import PASSWORD, Organisation, World
from tests.files.test_migration import content, upload
from tests.passwords import password_hash
from tests.sso.support import signed_in_with_password

API = "/admin/api/storage"


def make_administrator(world: World, org: Organisation) -> None:
    with world.database.write_sessions() as session:
        user = session.get_one(User, org.user_id)
        user.user_type = UserType.ADMINISTRATOR
        session.commit()


@pytest.fixture
def admin(world: World) -> FlaskClient:
    """Acme's Administrator, signed in."""
    make_administrator(world, world.acme)
    return world.signed_in(world.acme)


def test_only_administrators_see_and_change_the_storage(world: World) -> None:
    with world.database.write_sessions() as session:
        user = create_user(session, world.acme.org_id, "bob@contoso.test", active=True)
        user.password_hash = password_hash(PASSWORD)
        session.commit()
    bob = signed_in_with_password(
        world.app.test_client(), world.acme.org_id, "bob@contoso.test", PASSWORD
    )
    anonymous = world.app.test_client()

    assert bob.get(API).status_code == 403
    assert bob.put(API, json={"provider": "builtin"}).status_code == 403
    assert bob.post(f"{API}/migration").status_code == 403
    assert anonymous.get(API).status_code == 401
    with world.database.read_sessions() as session:
        assert get_organisation(session, world.acme.org_id).file_storage_provider.value == (
            "sharepoint"
        )


def test_the_overview_counts_files_where_they_are(world: World, admin: FlaskClient) -> None:
    upload(world, world.acme, "a.txt", content("a"))
    upload(world, world.acme, "b.txt", content("b"))

    answer = admin.get(API).get_json()

    assert answer == {
        "provider": "sharepoint",
        "siteId": world.acme.library.site.site_id,
        "libraryId": world.acme.library.drive_id,
        "connected": True,
        "filesByProvider": {"builtin": 0, "sharepoint": 2},
        "filesElsewhere": 0,
        "migration": None,
    }


def test_sites_and_libraries_come_from_graph_with_whether_a_library_is_empty(
    world: World, admin: FlaskClient
) -> None:
    site = world.acme.library.site
    archive = site.add_library("Archive")
    archive.add_file("old/contract.pdf", b"%PDF")
    world.acme.library.add_file("Kinabase/record-1/a.txt", b"Kinabase's own folder counts not")
    world.acme.tenant.add_site("Marketing")

    found = admin.get(f"{API}/sites", query_string={"search": "kina"}).get_json()
    by_address = admin.get(
        f"{API}/sites", query_string={"search": f"https://{site.host}/sites/Kinabase"}
    ).get_json()
    libraries = admin.get(f"{API}/libraries", query_string={"site": site.site_id}).get_json()

    assert [s["name"] for s in found["sites"]] == ["Kinabase"]
    assert found["sites"][0]["id"] == site.site_id
    assert by_address["sites"] == found["sites"]
    assert sorted(
        (lib["name"], lib["itemCount"], lib["empty"]) for lib in libraries["libraries"]
    ) == [("Archive", 1, False), ("Documents", 0, True)]
    missing = admin.get(f"{API}/libraries", query_string={"site": "nope,1,2"})
    assert missing.status_code == 400
    assert admin.get(f"{API}/libraries").status_code == 400  # `site` is required


def test_update_chooses_a_library_of_the_site_with_csrf_and_valid_input(
    world: World, admin: FlaskClient
) -> None:
    site = world.acme.library.site
    archive = site.add_library("Archive")
    choice = {"provider": "sharepoint", "siteId": site.site_id, "libraryId": archive.drive_id}
    no_csrf = world.app.test_client()
    no_csrf.set_cookie("access_token_cookie", admin.get_cookie("access_token_cookie").value)  # type: ignore[union-attr]

    assert no_csrf.put(API, json=choice).status_code == 403
    incomplete = admin.put(API, json={"provider": "sharepoint", "siteId": site.site_id})
    unknown = admin.put(API, json={"provider": "ftp"})
    foreign = admin.put(API, json={**choice, "libraryId": world.globex.library.drive_id})
    chosen = admin.put(API, json=choice)

    assert incomplete.status_code == 400
    assert incomplete.get_json()["fields"] == {"libraryId": ["SharePoint storage needs this."]}
    assert unknown.status_code == 400 and "provider" in unknown.get_json()["fields"]
    assert foreign.status_code == 400
    assert foreign.get_json()["error"] == "the site has no such document library"
    assert chosen.status_code == 200
    assert chosen.get_json()["libraryId"] == archive.drive_id
    builtin = admin.put(API, json={"provider": "builtin"}).get_json()
    assert (builtin["provider"], builtin["libraryId"]) == ("builtin", archive.drive_id)


def test_a_missing_sites_permission_asks_for_consent_and_new_consent_counts_at_once(
    world: World, admin: FlaskClient
) -> None:
    key = (world.acme.tenant.tenant_id, world.registration.client_id)
    world.cloud.consents[key].discard("Sites.ReadWrite.All")

    refused = admin.get(f"{API}/sites", query_string={"search": "kina"})

    assert refused.status_code == 409
    assert refused.get_json()["consentRequired"] is True
    assert "grants consent again" in refused.get_json()["error"]
    world.cloud.consents[key].add("Sites.ReadWrite.All")  # the administrator consents again
    assert admin.get(f"{API}/sites", query_string={"search": "kina"}).status_code == 200


def test_a_migration_is_started_once_and_followed_to_its_end(
    world: World, admin: FlaskClient
) -> None:
    acme = world.acme
    admin.put(API, json={"provider": "builtin"})
    upload(world, acme, "a.txt", content("a"))
    upload(world, acme, "b.txt", content("b"))
    admin.put(
        API,
        json={
            "provider": "sharepoint",
            "siteId": acme.library.site.site_id,
            "libraryId": acme.library.drive_id,
        },
    )
    assert admin.get(API).get_json()["filesElsewhere"] == 2

    started = admin.post(f"{API}/migration")
    again = admin.post(f"{API}/migration")

    assert started.status_code == 202
    job = started.get_json()
    assert (job["kind"], job["status"], job["done"]) == ("files.migrate", "queued", 0)
    assert again.status_code == 409 and again.get_json()["jobId"] == job["id"]
    with world.app.app_context():
        app_jobs(world.app).run_here(job["id"])
    followed = admin.get(f"{API}/migration/{job['id']}").get_json()
    assert (followed["status"], followed["total"], followed["done"]) == ("succeeded", 2, 2)
    assert sorted((i["name"], i["outcome"]) for i in followed["items"]) == [
        ("a.txt", "moved"),
        ("b.txt", "moved"),
    ]
    overview = admin.get(API).get_json()
    assert overview["filesElsewhere"] == 0
    assert overview["migration"]["id"] == job["id"]
    make_administrator(world, world.globex)
    globex = world.signed_in(world.globex)
    assert globex.get(f"{API}/migration/{job['id']}").status_code == 404
    assert globex.get(API).get_json()["migration"] is None
