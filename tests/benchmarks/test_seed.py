"""The scale-mode seeder writes what the endpoints write for the same Entra traffic.

Organisation Acme receives Entra's requests (POST each user, PATCH its manager, POST a group,
PATCH its members); organisation Globex is seeded with the same users and group by
benchmarks/seed.py. Every table must have grown by the same number of rows for both, and the
users, groups, Kinabase accounts, Colleague records and manager links must read the same, ids
aside. When the store or the mapping starts writing something new, this test says the seeder
must learn it too.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from benchmarks import entra
from benchmarks.seed import SEED_RUN, seed_database
from benchmarks.servers import OurDatabase
from kinabase.collections import Record, RecordLink
from kinabase.users import User
from kinabase_m365.schema import metadata
from tests.conftest import Provisioned

USERS = 23  # three levels of the ten-wide management tree


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        }


def _send_entra_traffic(org: Provisioned) -> None:
    ids: list[str] = []
    for i in range(USERS):
        response = org.scim.post("/Users", entra.create_user(SEED_RUN, i))
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    for i in range(1, USERS):
        body = entra.set_manager(ids[(i - 1) // 10], entra.ENTRA)
        response = org.scim.patch(f"/Users/{ids[i]}", body["Operations"])
        assert response.status_code in (200, 204), response.get_json()
    group = org.scim.post("/Groups", entra.create_group(SEED_RUN, f"{USERS} members", entra.ENTRA))
    assert group.status_code == 201, group.get_json()
    response = org.scim.patch(
        f"/Groups/{group.get_json()['id']}", entra.add_members(ids)["Operations"]
    )
    assert response.status_code in (200, 204), response.get_json()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _without_ids(value: Any, names: dict[str, str]) -> Any:
    """The value with every id replaced by the name it stands for, and `meta` dropped."""
    if isinstance(value, dict):
        return {k: _without_ids(v, names) for k, v in value.items() if k != "meta"}
    if isinstance(value, list):
        return sorted((_without_ids(v, names) for v in value), key=_canonical)
    if isinstance(value, str):
        for resource_id, name in names.items():
            value = value.replace(resource_id, name)
    return value


def _scim_view(org: Provisioned) -> list[Any]:
    users = org.scim.get("/Users?count=1000").get_json()["Resources"]
    groups = org.scim.get("/Groups").get_json()["Resources"]
    names = {user["id"]: user["userName"] for user in users}
    names.update({group["id"]: group["displayName"] for group in groups})
    return _without_ids(users + groups, names)  # type: ignore[no-any-return]


def _kinabase_view(session: Session, org_id: int) -> list[Any]:
    view = []
    accounts = session.scalars(select(User).where(User.org_id == org_id)).all()
    for account in accounts:
        record = session.scalars(select(Record).where(Record.user_id == account.id)).one()
        managers = session.scalars(
            select(Record.data["email"].as_string())
            .join(RecordLink, RecordLink.target_record_id == Record.id)
            .where(RecordLink.record_id == record.id)
        ).all()
        view.append(
            (
                account.email,
                account.first_name,
                account.last_name,
                account.display_name,
                account.job_title,
                account.user_type,
                account.status,
                record.data,
                sorted(managers),
            )
        )
    return sorted(view, key=_canonical)


def test_seeded_rows_match_what_the_endpoints_write(
    engine: Engine, database_url: str, acme: Provisioned, globex: Provisioned
) -> None:
    before = _row_counts(engine)
    _send_entra_traffic(acme)
    after_traffic = _row_counts(engine)
    seed_database(
        OurDatabase(url=database_url, org_id=globex.org_id, token=globex.scim.token),
        users=USERS,
        members=USERS,
        sample=5,
    )
    after_seed = _row_counts(engine)

    grown_by_traffic = {name: after_traffic[name] - before[name] for name in before}
    grown_by_seed = {name: after_seed[name] - after_traffic[name] for name in before}
    assert grown_by_seed == grown_by_traffic
    assert _scim_view(globex) == _scim_view(acme)
    with Session(engine) as session:
        assert _kinabase_view(session, globex.org_id) == _kinabase_view(session, acme.org_id)
