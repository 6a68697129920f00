"""Entra's SCIM provisioning and the directory pull meet on one stored user and one Kinabase
user, whichever comes first (SCIM over Flask's test client, as Entra sends it)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.jobs import start_import, start_sync
from directory.operations import Choice
from jobs.models import JobStatus
from kinabase.provisioning_tokens import issue_token
from scim_server.store.tables import ScimUser
from tests.directory.conftest import Cloud, Organisations, kinabase_users, run_job
from tests.scim_client import ScimClient, entra_user


def entra(service: Flask, session: Session, org_id: int) -> ScimClient:
    secret = issue_token(session, org_id, "entra").secret
    session.commit()
    return ScimClient(service.test_client(), secret)


def stored_users(session: Session, org_id: int) -> list[ScimUser]:
    session.expire_all()
    return list(session.scalars(select(ScimUser).where(ScimUser.org_id == org_id)))


def test_a_user_imported_first_is_adopted_by_entras_provisioning(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    job = start_import(write, orgs.acme, users=[("dana@contoso.test", Choice())])
    write.commit()
    assert run_job(service, job.id).status is JobStatus.SUCCEEDED
    scim = entra(service, write, orgs.acme)

    # Entra POSTs only when its match finds nothing; a POST of the same userName (any case)
    # is 409 uniqueness, after which Entra matches by filter.
    conflict = scim.post("/Users", entra_user("Dana@Contoso.test", "Dana", "Director", "dana"))
    assert conflict.status_code == 409, conflict.text
    assert conflict.json["scimType"] == "uniqueness"
    found = scim.filter("/Users", 'userName eq "dana@contoso.test"')
    assert found.json["totalResults"] == 1
    dana_id = found.json["Resources"][0]["id"]
    patched = scim.patch(
        f"/Users/{dana_id}", [{"op": "Replace", "path": "title", "value": "Chief Executive"}]
    )
    assert patched.status_code == 200, patched.text

    assert [row.id for row in stored_users(write, orgs.acme)] == [dana_id]
    users = kinabase_users(write, orgs.acme)
    assert list(users) == ["dana@contoso.test"]
    assert users["dana@contoso.test"].job_title == "Chief Executive"


def test_a_user_provisioned_first_is_updated_by_the_pull_never_duplicated(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    scim = entra(service, write, orgs.acme)
    # Entra's default mapping: externalId ← mailNickname, userName ← userPrincipalName.
    created = scim.post("/Users", entra_user("erin@contoso.test", "Erin", "O'Neil", "erin"))
    assert created.status_code == 201, created.text
    erin_id = created.json["id"]
    phone = {"value": "+44 20 7946 0000", "type": "work"}
    scim.patch(f"/Users/{erin_id}", [{"op": "add", "path": "phoneNumbers", "value": [phone]}])

    job = start_import(write, orgs.acme, everyone=True)
    write.commit()
    done = run_job(service, job.id)
    sync = start_sync(write, orgs.acme)
    write.commit()

    assert done.status is JobStatus.SUCCEEDED, done.error
    assert run_job(service, sync.id).status is JobStatus.SUCCEEDED
    rows = {row.user_name: row for row in stored_users(write, orgs.acme)}
    assert sorted(rows) == ["dana@contoso.test", "erin@contoso.test", "gail@contoso.test"]
    erin = rows["erin@contoso.test"]
    assert erin.id == erin_id and erin.external_id == "erin"  # Entra's own id and externalId
    assert erin.resource["title"] == "Account Executive"  # from Graph
    assert erin.resource["phoneNumbers"] == [phone]  # what only Entra sent stays
    users = kinabase_users(write, orgs.acme)
    assert sorted(users) == ["dana@contoso.test", "erin@contoso.test", "gail.green@contoso.test"]
    assert users["erin@contoso.test"].job_title == "Account Executive"
    assert write.scalar(select(func.count()).select_from(ScimUser)) == 3

    # Entra goes on managing the same user by its id.
    write.rollback()  # this session's SQLite transaction would hold the write lock
    again = scim.patch(f"/Users/{erin_id}", [{"op": "replace", "path": "active", "value": False}])
    assert again.status_code == 200, again.text
    assert kinabase_users(write, orgs.acme)["erin@contoso.test"].status == "deactivated"
