"""The provisioning service's user operations, called as the CLI and the directory pull do."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kinabase.colleagues import (
    add_colleague_field,
    colleague_fields,
    colleague_record,
    linked_record_id,
)
from kinabase.collections import FieldType
from kinabase.licences import seats_in_use
from kinabase.organisations import Organisation
from kinabase.roles import create_role, roles_of_user
from kinabase.users import User, UserType
from scim_server.mapping import PendingUser, ProjectionResult
from scim_server.protocol.errors import NotFound, PreconditionFailed
from scim_server.protocol.etag import Preconditions
from scim_server.provisioning import groups, users
from scim_server.provisioning.listings import kinabase_users, pending_users
from scim_server.provisioning.rules import add_rule, map_colleague_field
from tests.provisioning.conftest import ENTERPRISE, group_body, user_body, user_patch


def _user(session: Session, result: users.UserWrite) -> User:
    assert isinstance(result.kinabase, ProjectionResult), result.kinabase
    return session.get_one(User, result.kinabase.user_id)


def test_create_projects_a_user_with_an_address_and_leaves_one_without_pending(
    session: Session, acme: Organisation
) -> None:
    ada = users.create_user(session, acme.id, user_body("ada@acme.test"))
    jdoe = users.create_user(session, acme.id, user_body("jdoe"))

    assert _user(session, ada).email == "ada@acme.test"
    assert isinstance(jdoe.kinabase, PendingUser)
    assert [p.user_name for p in pending_users(session, acme.id)] == ["jdoe"]
    assert [u.email for u in kinabase_users(session, acme.id)] == ["ada@acme.test"]
    assert seats_in_use(session, acme.id) == 1


def test_patch_with_an_unchanged_resource_projects_nothing(
    session: Session, acme: Organisation
) -> None:
    created = users.create_user(session, acme.id, user_body("ada@acme.test", title="CTO"))
    user_id = created.stored.row.id

    same = users.patch_user(
        session, acme.id, user_id, user_patch({"op": "replace", "path": "title", "value": "CTO"})
    )

    assert same.kinabase is None and same.stored.row.version == 1


def test_preconditions_and_unknown_ids_refuse_before_writing(
    session: Session, acme: Organisation
) -> None:
    created = users.create_user(session, acme.id, user_body("ada@acme.test"))
    user_id = created.stored.row.id

    with pytest.raises(PreconditionFailed):
        users.delete_user(session, acme.id, user_id, Preconditions(if_match='W/"7"'))
    with pytest.raises(NotFound):
        users.delete_user(session, acme.id, "no-such-id")
    assert users.get_user(session, acme.id, user_id).row.version == 1


def test_a_filtered_path_and_a_custom_attribute_fill_colleague_fields(
    session: Session, acme: Organisation
) -> None:
    custom = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"
    add_colleague_field(session, acme.id, "mobile", "Mobile", FieldType.PHONE)
    add_colleague_field(session, acme.id, "workEmail", "Work email", FieldType.EMAIL)
    add_colleague_field(session, acme.id, "costCentre", "Cost centre", FieldType.TEXT)
    created = users.create_user(
        session,
        acme.id,
        user_body(
            "ada@acme.test",
            emails=[
                {"type": "home", "value": "ada@home.test", "primary": True},
                {"type": "work", "value": "ada@acme.test"},
            ],
            phoneNumbers=[
                {"type": "work", "value": "+44 20 0000 0000"},
                {"type": "mobile", "value": "+44 7700 900000"},
            ],
            **{custom: {"costCentre": "CC-42"}},
        ),
    )

    map_colleague_field(session, acme.id, "mobile", 'phoneNumbers[type eq "mobile"].value')
    map_colleague_field(session, acme.id, "workEmail", 'emails[type eq "work"].value')
    resync = map_colleague_field(session, acme.id, "costCentre", f"{custom}:costCentre")

    assert (resync.projected, resync.pending) == (1, 0)
    record = colleague_record(session, acme.id, _user(session, created).id)
    assert record.data["mobile"] == "+44 7700 900000"
    assert record.data["workEmail"] == "ada@acme.test"
    assert record.data["costCentre"] == "CC-42"


def test_app_role_rules_follow_the_roles_attribute(session: Session, acme: Organisation) -> None:
    create_role(session, acme.id, "Finance")
    ada = users.create_user(
        session, acme.id, user_body("ada@acme.test", roles=[{"value": "Finance.Approver"}])
    )
    grace = users.create_user(session, acme.id, user_body("grace@acme.test"))

    add_rule(
        session,
        acme.id,
        app_role="finance.approver",
        role_names=["Finance"],
        user_type=UserType.BILLING_ADMINISTRATOR,
    )

    account = _user(session, ada)
    assert [r.name for r in roles_of_user(session, acme.id, account.id)] == ["Finance"]
    assert account.user_type is UserType.BILLING_ADMINISTRATOR
    assert roles_of_user(session, acme.id, _user(session, grace).id) == []

    # Entra's PATCH sends the role as a JSON-encoded string of {id, value, displayName}.
    role = '{"id":"7f1c","value":"Finance.Approver","displayName":"Approver"}'
    given = users.patch_user(
        session,
        acme.id,
        grace.stored.row.id,
        user_patch({"op": "add", "path": "roles", "value": [{"value": role}]}),
    )
    assert [r.name for r in roles_of_user(session, acme.id, _user(session, given).id)] == [
        "Finance"
    ]

    taken = users.patch_user(
        session, acme.id, ada.stored.row.id, user_patch({"op": "remove", "path": "roles"})
    )
    account = _user(session, taken)
    assert roles_of_user(session, acme.id, account.id) == []
    assert account.user_type is UserType.USER


def test_a_pending_member_gets_its_groups_rules_when_projected(
    session: Session, acme: Organisation
) -> None:
    create_role(session, acme.id, "Sales")
    add_rule(session, acme.id, group="Sales", role_names=["Sales"])
    jdoe = users.create_user(session, acme.id, user_body("jdoe"))
    groups.create_group(session, acme.id, group_body("Sales", [jdoe.stored.row.id]))

    projected = users.patch_user(
        session,
        acme.id,
        jdoe.stored.row.id,
        user_patch({"op": "replace", "path": "userName", "value": "jdoe@acme.test"}),
    )

    account = _user(session, projected)
    assert [r.name for r in roles_of_user(session, acme.id, account.id)] == ["Sales"]
    assert pending_users(session, acme.id) == []


def test_a_manager_named_before_they_have_an_address_is_linked_when_they_get_one(
    session: Session, acme: Organisation
) -> None:
    boss = users.create_user(session, acme.id, user_body("boss"))
    ada = users.create_user(
        session,
        acme.id,
        user_body("ada@acme.test", **{ENTERPRISE: {"manager": {"value": boss.stored.row.id}}}),
    )
    assert isinstance(boss.kinabase, PendingUser)

    users.patch_user(
        session,
        acme.id,
        boss.stored.row.id,
        user_patch({"op": "add", "path": "emails", "value": [{"value": "boss@acme.test"}]}),
    )

    users_by_email = {u.email: u for u in kinabase_users(session, acme.id)}
    record = colleague_record(session, acme.id, _user(session, ada).id)
    manager = colleague_record(session, acme.id, users_by_email["boss@acme.test"].id)
    field = colleague_fields(session, acme.id)["manager"]
    assert linked_record_id(session, record, field) == manager.id
