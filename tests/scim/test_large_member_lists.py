"""100,000 members in one request, on both engines: more ids than PostgreSQL's 65,535 bind
parameters, so every IN list and bulk statement of the store must be batched. (The group
rules' grants for as many members: tests/mapping/test_membership_scale.py.)"""

from __future__ import annotations

import time
import uuid

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from kinabase.database import make_sessionmakers
from scim_server.store.tables import ScimGroup, ScimGroupMember, ScimUser
from tests.conftest import Provisioned
from tests.scim_client import GROUP_SCHEMA

MEMBERS = 100_000


def _bulk_users(engine: Engine, org_id: int, count: int) -> list[str]:
    """Provisioned users without email (pending: projected onto nothing), inserted in bulk;
    creating each over HTTP would only slow the test."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    _, write_sessions = make_sessionmakers(engine)
    with write_sessions() as session:
        session.execute(
            insert(ScimUser),
            [
                {
                    "id": user_id,
                    "org_id": org_id,
                    "user_name": f"user{n}",
                    "version": 1,
                    "resource": {"userName": f"user{n}"},
                }
                for n, user_id in enumerate(ids)
            ],
        )
        session.commit()
    return ids


def _member_count(read_session: Session, group_id: str) -> int:
    read_session.rollback()  # a new snapshot (SQLite keeps a reading transaction's)
    return (
        read_session.scalar(
            select(func.count())
            .select_from(ScimGroupMember)
            .join(ScimGroup, ScimGroup.pk == ScimGroupMember.group_pk)
            .where(ScimGroup.id == group_id)
        )
        or 0
    )


def test_100000_members_in_one_post_patch_and_remove(
    acme: Provisioned, engine: Engine, read_session: Session
) -> None:
    ids = _bulk_users(engine, acme.org_id, MEMBERS)
    started = time.monotonic()
    members = [{"value": user_id} for user_id in ids]
    created = acme.scim.post(
        "/Groups?excludedAttributes=members",
        {"schemas": [GROUP_SCHEMA], "displayName": "Everyone", "members": members},
    )
    assert created.status_code == 201, created.json
    group_id = created.json["id"]
    assert _member_count(read_session, group_id) == MEMBERS

    removed = acme.scim.patch(
        f"/Groups/{group_id}", [{"op": "remove", "path": "members", "value": members}]
    )
    assert removed.status_code == 204, removed.json
    assert _member_count(read_session, group_id) == 0

    added = acme.scim.patch(
        f"/Groups/{group_id}", [{"op": "add", "path": "members", "value": members}]
    )
    assert added.status_code == 204, added.json
    assert _member_count(read_session, group_id) == MEMBERS

    emptied = acme.scim.patch(f"/Groups/{group_id}", [{"op": "remove", "path": "members"}])
    assert emptied.status_code == 204, emptied.json
    assert _member_count(read_session, group_id) == 0

    replaced = acme.scim.put(
        f"/Groups/{group_id}?excludedAttributes=members",
        {"schemas": [GROUP_SCHEMA], "displayName": "Everyone", "members": members},
    )
    assert replaced.status_code == 200, replaced.json
    assert _member_count(read_session, group_id) == MEMBERS
    assert acme.scim.delete(f"/Groups/{group_id}").status_code == 204
    assert acme.scim.get("/Groups").json["totalResults"] == 0
    assert time.monotonic() - started < 300
