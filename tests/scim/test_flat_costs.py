"""Member changes and member-less reads cost the same whatever the group's size (DESIGN: Data).

Counted in SQL statements, which do not depend on the machine's speed: a 120-member group and a
3-member group take the same number of statements to gain a member, lose one, or be read with
`excludedAttributes=members`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event

from kinabase_m365.database import get_database
from tests.conftest import provision_organisation
from tests.scim_client import GROUP_SCHEMA, entra_user


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    engine = get_database(app).engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements_for(app: Flask, action: Callable[[], Any]) -> list[str]:
    with counted(app) as statements:
        action()
    return statements


def test_member_changes_do_not_grow_with_the_group(app: Flask, engine: Engine) -> None:
    scim = provision_organisation(engine, app.test_client(), seats=200).scim
    ids = [
        scim.post("/Users", entra_user(f"u{i}@acme.test", "U", str(i), f"u{i}")).json["id"]
        for i in range(122)
    ]
    small = scim.post(
        "/Groups",
        {
            "schemas": [GROUP_SCHEMA],
            "displayName": "small",
            "members": [{"value": i} for i in ids[:3]],
        },
    ).json
    large = scim.post(
        "/Groups",
        {
            "schemas": [GROUP_SCHEMA],
            "displayName": "large",
            "members": [{"value": i} for i in ids[:120]],
        },
    ).json
    newcomer = ids[121]

    def add(group: dict[str, Any]) -> Callable[[], Any]:
        body = [{"op": "Add", "path": "members", "value": [{"value": newcomer}]}]
        return lambda: scim.patch(f"/Groups/{group['id']}", body)

    def remove(group: dict[str, Any]) -> Callable[[], Any]:
        body = [{"op": "remove", "path": f'members[value eq "{newcomer}"]'}]
        return lambda: scim.patch(f"/Groups/{group['id']}", body)

    def read(group: dict[str, Any]) -> Callable[[], Any]:
        return lambda: scim.get(f"/Groups/{group['id']}?excludedAttributes=members")

    for make in (add, remove, read):
        for_small = statements_for(app, make(small))
        for_large = statements_for(app, make(large))
        assert len(for_large) == len(for_small), make.__name__
    read_statements = statements_for(app, read(large))
    assert not any("scim_group_members" in s for s in read_statements)
    response = scim.get(f"/Groups/{large['id']}?excludedAttributes=members")
    assert "members" not in response.json
    assert len(scim.get(f"/Groups/{large['id']}").json["members"]) == 120
