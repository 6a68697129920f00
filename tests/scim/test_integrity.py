"""Nothing is half-written: refusals leave the store and Kinabase as they were (DESIGN).

Covers the licence seat limit (403 with the seat count), a bad PATCH, uniqueness under
concurrent POSTs (RFC 7644 §3.3: 409 `uniqueness`), and references to users that do not exist.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from sqlalchemy import Engine, func, select

from kinabase.database import make_sessionmakers
from kinabase.users import User, UserStatus
from tests.conftest import Provisioned, provision_organisation
from tests.kinabase_view import KinabaseView
from tests.scim_client import ENTERPRISE, GROUP_SCHEMA, ScimClient, entra_user


def test_creating_beyond_the_seats_is_403_and_writes_nothing(app: Flask, engine: Engine) -> None:
    org = provision_organisation(engine, app.test_client(), seats=1)
    kb = KinabaseView(engine, org.org_id)
    assert org.scim.post("/Users", entra_user("ada@acme.test", "A", "L", "ada")).status_code == 201

    response = org.scim.post("/Users", entra_user("bob@acme.test", "B", "M", "bob"))

    assert response.status_code == 403
    assert response.json["detail"] == "licence allocation exhausted: 1 of 1 seats in use"
    assert org.scim.filter("/Users", 'userName eq "bob@acme.test"').json["totalResults"] == 0
    assert kb.user("bob@acme.test") is None
    assert kb.seats_in_use() == 1


def test_reactivating_beyond_the_seats_changes_neither_side(app: Flask, engine: Engine) -> None:
    org = provision_organisation(engine, app.test_client(), seats=1)
    kb = KinabaseView(engine, org.org_id)
    ada = org.scim.post("/Users", entra_user("ada@acme.test", "A", "L", "ada")).json
    disable = [{"op": "replace", "path": "active", "value": False}]
    enable = [{"op": "replace", "path": "active", "value": True}]
    assert org.scim.patch(f"/Users/{ada['id']}", disable).status_code == 200
    bob = org.scim.post("/Users", entra_user("bob@acme.test", "B", "M", "bob")).json
    before = org.scim.get(f"/Users/{ada['id']}").json

    response = org.scim.patch(f"/Users/{ada['id']}", enable)

    assert response.status_code == 403
    assert org.scim.get(f"/Users/{ada['id']}").json == before
    seen = kb.user("ada@acme.test")
    assert seen is not None and seen.status is UserStatus.DEACTIVATED
    assert kb.seats_in_use() == 1 and bob["active"] is True


def test_a_bad_patch_changes_nothing(acme: Provisioned, engine: Engine) -> None:
    ada = acme.scim.post("/Users", entra_user("ada@acme.test", "Ada", "L", "ada")).json
    operations: list[dict[str, Any]] = [
        {"op": "replace", "path": "title", "value": "Engineer"},
        {"op": "replace", "path": "noSuchAttribute", "value": "x"},
    ]
    response = acme.scim.patch(f"/Users/{ada['id']}", operations)

    assert response.status_code == 400 and response.json["scimType"] == "invalidPath"
    after = acme.scim.get(f"/Users/{ada['id']}").json
    assert "title" not in after and after["meta"]["version"] == ada["meta"]["version"]
    seen = KinabaseView(engine, acme.org_id).user("ada@acme.test")
    assert seen is not None and seen.job_title is None


def test_references_must_name_users_of_the_organisation(acme: Provisioned) -> None:
    ada = acme.scim.post("/Users", entra_user("ada@acme.test", "Ada", "L", "ada")).json
    manager = [{"op": "add", "path": f"{ENTERPRISE}:manager", "value": "no-such-user"}]
    response = acme.scim.patch(f"/Users/{ada['id']}", manager)
    assert response.status_code == 400 and response.json["scimType"] == "invalidValue"

    group = {"schemas": [GROUP_SCHEMA], "displayName": "G", "members": [{"value": "nobody"}]}
    response = acme.scim.post("/Groups", group)
    assert response.status_code == 400 and response.json["scimType"] == "invalidValue"
    assert acme.scim.get("/Groups").json["totalResults"] == 0


def test_concurrent_duplicate_posts_create_exactly_one_user(
    app: Flask, acme: Provisioned, engine: Engine
) -> None:
    attempts = 6
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []

    def post(index: int) -> None:
        scim = ScimClient(app.test_client(), acme.scim.token)
        body = entra_user("Ada@Acme.test" if index % 2 else "ada@acme.test", "A", "L", "ada")
        barrier.wait()
        statuses.append(scim.post("/Users", body).status_code)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] + [409] * (attempts - 1)
    assert acme.scim.get("/Users").json["totalResults"] == 1
    read_sessions, _ = make_sessionmakers(engine)
    with read_sessions() as session:
        users = session.scalar(
            select(func.count()).select_from(User).where(User.org_id == acme.org_id)
        )
    assert users == 1


def test_duplicate_group_names_are_409(acme: Provisioned) -> None:
    group = {"schemas": [GROUP_SCHEMA], "displayName": "Sales"}
    assert acme.scim.post("/Groups", group).status_code == 201
    response = acme.scim.post("/Groups", {**group, "displayName": "SALES"})
    assert response.status_code == 409 and response.json["scimType"] == "uniqueness"
