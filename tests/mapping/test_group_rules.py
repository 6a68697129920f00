"""Group rules: members get roles and user types, and lose only what the rule gave."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation
from kinabase.errors import NotFound
from kinabase.organisations import Organisation
from kinabase.roles import Role, create_role, grant_role, roles_of_user
from kinabase.user_types import set_user_type_by_hand, user_type_source
from kinabase.users import User, UserType
from scim_server.mapping import (
    DirectoryGroup,
    InvalidGroupRule,
    apply_membership_change,
    create_rule,
    give_group_rules,
    list_rules,
    project_group,
    project_user,
    reapply_rule,
    remove_rule,
    unlink_group,
    unlink_user,
)
from tests.mapping.conftest import directory_user

SALES_OBJECT_ID = "8AA1A0C0-C4C3-4BC0-B4A5-2EF676900159"


class Directory:
    """Group memberships as the SCIM store holds them."""

    def __init__(self) -> None:
        self.members: dict[str, set[str]] = {}

    def members_of(self, group_id: str) -> Iterable[str]:
        return sorted(self.members.get(group_id, set()))

    def change(
        self,
        session: Session,
        org_id: int,
        group_id: str,
        added: Iterable[str] = (),
        removed: Iterable[str] = (),
    ) -> None:
        members = self.members.setdefault(group_id, set())
        members.update(added)
        members.difference_update(removed)
        apply_membership_change(session, org_id, group_id, list(added), list(removed))


@pytest.fixture
def directory() -> Directory:
    return Directory()


@pytest.fixture
def roles(session: Session, acme: Organisation) -> dict[str, Role]:
    return {name: create_role(session, acme.id, name) for name in ("Sales", "Support", "Admin")}


def _user(session: Session, org_id: int, directory_id: str) -> User:
    result = project_user(session, org_id, directory_user(directory_id, f"{directory_id}@x.test"))
    return session.get_one(User, result.user_id)


def _role_names(session: Session, user: User) -> list[str]:
    return [role.name for role in roles_of_user(session, user.org_id, user.id)]


def test_members_get_the_rule_and_leavers_lose_only_what_it_gave(
    session: Session, acme: Organisation, roles: dict[str, Role], directory: Directory
) -> None:
    sales_rule = create_rule(
        session, acme.id, "Sales", ["Sales", "Support"], UserType.ADMINISTRATOR
    )
    project_group(session, acme.id, DirectoryGroup("g-sales", "Sales"), directory.members_of)
    create_rule(session, acme.id, "Support", ["Support"])
    project_group(session, acme.id, DirectoryGroup("g-support", "Support"), directory.members_of)
    ada, grace = _user(session, acme.id, "u1"), _user(session, acme.id, "u2")
    grant_role(session, ada.id, roles["Sales"])  # by hand

    directory.change(session, acme.id, "g-sales", added=["u1", "u2"])
    directory.change(session, acme.id, "g-support", added=["u1"])

    assert _role_names(session, ada) == ["Sales", "Support"]
    assert _role_names(session, grace) == ["Sales", "Support"]
    assert ada.user_type is UserType.ADMINISTRATOR and user_type_source(ada) == "grants"

    directory.change(session, acme.id, "g-sales", removed=["u1", "u2"])

    assert _role_names(session, ada) == ["Sales", "Support"]  # by hand, and by Support's rule
    assert _role_names(session, grace) == []
    assert ada.user_type is UserType.USER and user_type_source(ada) == "manual"
    assert sales_rule.group_directory_id == "g-sales"


def test_the_highest_type_wins_and_the_hand_given_type_comes_back(
    session: Session, acme: Organisation, roles: dict[str, Role], directory: Directory
) -> None:
    for name, user_type in (
        ("Billing", UserType.BILLING_ADMINISTRATOR),
        ("IT", UserType.ADMINISTRATOR),
        ("Contractors", UserType.USER),
    ):
        create_rule(session, acme.id, name, user_type=user_type)
        project_group(session, acme.id, DirectoryGroup(f"g-{name}", name), directory.members_of)
    ada = _user(session, acme.id, "u1")
    set_user_type_by_hand(ada, UserType.BILLING_ADMINISTRATOR)

    directory.change(session, acme.id, "g-Contractors", added=["u1"])
    assert ada.user_type is UserType.USER  # a rule pins the type, below the hand-given one

    directory.change(session, acme.id, "g-IT", added=["u1"])
    directory.change(session, acme.id, "g-Billing", added=["u1"])
    assert ada.user_type is UserType.ADMINISTRATOR

    set_user_type_by_hand(ada, UserType.USER)  # remembered while rules decide
    assert ada.user_type is UserType.ADMINISTRATOR

    directory.change(session, acme.id, "g-IT", removed=["u1"])
    assert ada.user_type is UserType.BILLING_ADMINISTRATOR
    directory.change(session, acme.id, "g-Billing", removed=["u1"])
    directory.change(session, acme.id, "g-Contractors", removed=["u1"])
    assert ada.user_type is UserType.USER and user_type_source(ada) == "manual"


def test_a_rule_created_later_applies_to_existing_members_and_removal_takes_back(
    session: Session, acme: Organisation, roles: dict[str, Role], directory: Directory
) -> None:
    project_group(session, acme.id, DirectoryGroup("g-sales", "Sales"), directory.members_of)
    ada, grace = _user(session, acme.id, "u1"), _user(session, acme.id, "u2")
    directory.change(session, acme.id, "g-sales", added=["u1", "u2"])
    grant_role(session, ada.id, roles["Sales"])

    rule = create_rule(session, acme.id, "sales", ["Sales"], UserType.ADMINISTRATOR)
    bound = project_group(
        session, acme.id, DirectoryGroup("g-sales", "Sales"), directory.members_of
    )

    assert bound == [rule]
    assert _role_names(session, grace) == ["Sales"]
    assert grace.user_type is UserType.ADMINISTRATOR

    remove_rule(session, acme.id, rule.id)

    assert _role_names(session, ada) == ["Sales"]  # by hand
    assert _role_names(session, grace) == []
    assert (ada.user_type, grace.user_type) == (UserType.USER, UserType.USER)
    assert list_rules(session, acme.id) == []


def test_rules_bind_by_object_id_follow_renames_and_rebind_after_group_deletion(
    session: Session, acme: Organisation, roles: dict[str, Role], directory: Directory
) -> None:
    by_id = create_rule(session, acme.id, SALES_OBJECT_ID, ["Sales"])
    by_name = create_rule(session, acme.id, "Sales", ["Support"])
    ada = _user(session, acme.id, "u1")
    directory.members["g1"] = {"u1"}

    sales = DirectoryGroup("g1", "sales", SALES_OBJECT_ID)
    project_group(session, acme.id, sales, directory.members_of)
    assert (by_id.group_directory_id, by_name.group_directory_id) == ("g1", "g1")
    assert by_name.group_external_id == SALES_OBJECT_ID.lower()
    assert _role_names(session, ada) == ["Sales", "Support"]

    renamed = DirectoryGroup("g1", "Sales EMEA", SALES_OBJECT_ID)
    assert project_group(session, acme.id, renamed, directory.members_of) == []
    assert by_name.group == "Sales EMEA"

    unlink_group(session, acme.id, "g1")
    assert _role_names(session, ada) == []
    assert by_id.group_directory_id is None

    impostor = DirectoryGroup("g2", "Sales EMEA", "not-the-same-object")
    directory.members["g2"] = {"u1"}
    assert project_group(session, acme.id, impostor, directory.members_of) == []
    directory.members["g3"] = {"u1"}
    back = DirectoryGroup("g3", "Sales EMEA", SALES_OBJECT_ID)
    assert {r.id for r in project_group(session, acme.id, back, directory.members_of)} == {
        by_id.id,
        by_name.id,
    }
    assert _role_names(session, ada) == ["Sales", "Support"]


def test_reapply_follows_a_changed_rule(
    session: Session, acme: Organisation, roles: dict[str, Role], directory: Directory
) -> None:
    rule = create_rule(session, acme.id, "Sales", ["Sales"])
    project_group(session, acme.id, DirectoryGroup("g-sales", "Sales"), directory.members_of)
    ada = _user(session, acme.id, "u1")
    directory.change(session, acme.id, "g-sales", added=["u1"])

    rule.roles = [roles["Support"]]
    rule.user_type = UserType.BILLING_ADMINISTRATOR
    reapply_rule(session, acme.id, rule.id, directory.members_of)

    assert _role_names(session, ada) == ["Support"]
    assert ada.user_type is UserType.BILLING_ADMINISTRATOR


def test_a_user_linked_later_gets_its_groups_rules_and_unlinking_drops_them(
    session: Session, acme: Organisation, roles: dict[str, Role], directory: Directory
) -> None:
    create_rule(session, acme.id, "Sales", ["Sales"], UserType.ADMINISTRATOR)
    create_rule(session, acme.id, "Support", ["Support"])
    project_group(session, acme.id, DirectoryGroup("g-sales", "Sales"), directory.members_of)
    project_group(session, acme.id, DirectoryGroup("g-support", "Support"), directory.members_of)
    ada = _user(session, acme.id, "u1")
    grant_role(session, ada.id, roles["Admin"])

    give_group_rules(session, acme.id, "u1", ["g-sales", "g-unknown"])
    assert _role_names(session, ada) == ["Admin", "Sales"]
    assert ada.user_type is UserType.ADMINISTRATOR

    give_group_rules(session, acme.id, "u1", ["g-sales", "g-support"])  # again: nothing twice
    assert _role_names(session, ada) == ["Admin", "Sales", "Support"]

    unlink_user(session, acme.id, "u1")
    assert _role_names(session, ada) == ["Admin"]
    assert ada.user_type is UserType.USER


def test_refusals(session: Session, acme: Organisation, roles: dict[str, Role]) -> None:
    with pytest.raises(InvalidGroupRule, match="no role named 'Marketing'"):
        create_rule(session, acme.id, "Sales", ["Sales", "Marketing"])
    with pytest.raises(InvalidGroupRule, match="at least one role or a user type"):
        create_rule(session, acme.id, "Sales")
    with pytest.raises(InvalidGroupRule, match="either a group"):
        create_rule(session, acme.id, "  ", ["Sales"])
    with pytest.raises(NotFound):
        remove_rule(session, acme.id, 999)
    assert list_rules(session, acme.id) == []


def test_rules_and_mappings_of_one_organisation_never_touch_another(
    session: Session, acme: Organisation, roles: dict[str, Role], directory: Directory
) -> None:
    other = create_organisation(session, "Other", licence_seats=5)
    other_sales = create_role(session, other.id, "Sales")
    rule = create_rule(session, acme.id, "Sales", ["Sales"], UserType.ADMINISTRATOR)
    other_rule = create_rule(session, other.id, "Sales", ["Sales"])
    ours, theirs = _user(session, acme.id, "u1"), _user(session, other.id, "u1")
    grant_role(session, theirs.id, other_sales)
    directory.members["g1"] = {"u1"}

    project_group(session, acme.id, DirectoryGroup("g1", "Sales"), directory.members_of)
    apply_membership_change(session, acme.id, "g1", ["u1"], [])

    assert _role_names(session, ours) == ["Sales"]
    assert theirs.user_type is UserType.USER
    assert other_rule.group_directory_id is None
    with pytest.raises(NotFound):
        remove_rule(session, other.id, rule.id)
    reapply_rule(session, other.id, rule.id, directory.members_of)  # not theirs: takes nothing

    apply_membership_change(session, acme.id, "g1", [], ["u1"])
    unlink_user(session, acme.id, "u1")
    assert _role_names(session, theirs) == ["Sales"]
    assert _role_names(session, ours) == []
    assert _role_names(session, ours) == []
    assert session.get_one(User, theirs.id).status.value == "active"
