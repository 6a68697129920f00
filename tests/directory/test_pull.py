"""Import and Sync end to end: Graph (the emulator) → the provisioning service → Kinabase, run
as jobs in this process as a worker's task runs them."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.delta_links import store_delta_link, stored_delta_link
from directory.errors import NotConnected, SeatShortfall
from directory.jobs import start_import, start_sync
from directory.listing import candidate_page
from directory.operations import Choice
from jobs.models import Job, JobItem, JobStatus
from jobs.progress import job_items
from kinabase.colleagues import colleague_fields, colleague_record, linked_record_id
from kinabase.collections import Record
from kinabase.roles import create_role, roles_of_user
from kinabase.users import User, UserPhoto, UserStatus, UserType
from scim_server.protocol.discovery import load_registry
from scim_server.protocol.resource import parse_resource
from scim_server.provisioning.rules import add_rule
from scim_server.provisioning.users import create_user
from scim_server.store.tables import ScimGroup, ScimUser
from tests.directory.conftest import (
    JPEG,
    Cloud,
    Organisations,
    count_users,
    kinabase_users,
    run_job,
)


def manager_of(session: Session, org_id: int, user: User) -> User | None:
    field = colleague_fields(session, org_id)["manager"]
    record_id = linked_record_id(session, colleague_record(session, org_id, user.id), field)
    if record_id is None:
        return None
    return session.get(User, session.get_one(Record, record_id).user_id)


def outcomes(session: Session, job_id: int) -> dict[str, tuple[str, str | None]]:
    session.expire_all()
    return {item.label: (item.outcome, item.reason) for item in job_items(session, job_id)}


def import_job(session: Session, org_id: int, **kwargs: object) -> int:
    job = start_import(session, org_id, **kwargs)  # type: ignore[arg-type]
    session.commit()
    return job.id


def test_import_brings_chosen_users_with_their_type_roles_photo_and_manager(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    create_role(write, orgs.acme, "Sales")
    write.commit()
    chosen = [
        (microsoft.dana.user_principal_name, Choice(UserType.ADMINISTRATOR, ("Sales",))),
        (microsoft.erin.object_id, Choice()),
    ]

    job = run_job(service, import_job(write, orgs.acme, users=chosen))

    assert (job.status, job.done, job.total, job.failed) == (JobStatus.SUCCEEDED, 2, 2, 0)
    users = kinabase_users(write, orgs.acme)
    assert sorted(users) == ["dana@contoso.test", "erin@contoso.test"]
    dana, erin = users["dana@contoso.test"], users["erin@contoso.test"]
    assert (dana.first_name, dana.last_name, dana.display_name) == (
        "Dana",
        "Director",
        "Dana Director",
    )
    assert dana.job_title == "Director" and dana.status is UserStatus.ACTIVE
    assert dana.user_type is UserType.ADMINISTRATOR
    assert [role.name for role in roles_of_user(write, orgs.acme, dana.id)] == ["Sales"]
    assert write.get_one(UserPhoto, (dana.id, "microsoft")).content == JPEG
    assert write.get(UserPhoto, (erin.id, "microsoft")) is None
    assert erin.user_type is UserType.USER and roles_of_user(write, orgs.acme, erin.id) == []
    assert manager_of(write, orgs.acme, erin) == dana
    assert erin.entra_object_id == microsoft.erin.object_id
    stored = write.scalars(select(ScimUser).where(ScimUser.org_id == orgs.acme)).all()
    assert {row.external_id for row in stored} == {
        microsoft.dana.object_id,
        microsoft.erin.object_id,
    }
    erin_resource = next(r.resource for r in stored if r.user_name == "erin@contoso.test")
    enterprise = erin_resource["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]
    assert enterprise == {"department": "Sales", "employeeNumber": "E-42"}  # manager: a column


def test_running_the_same_import_twice_creates_nothing_twice(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    first = run_job(service, import_job(write, orgs.acme, everyone=True))
    assert first.status is JobStatus.SUCCEEDED, first.error
    before = count_users(write, orgs.acme)

    second = run_job(service, import_job(write, orgs.acme, everyone=True))

    assert second.status is JobStatus.SUCCEEDED, second.error
    assert count_users(write, orgs.acme) == before == 3  # Dana, Erin, Gail; Frank is disabled
    assert {outcome for outcome, _ in outcomes(write, second.id).values()} == {"updated"}
    assert write.scalar(select(func.count()).select_from(ScimUser)) == 3


def test_a_manager_imported_after_their_report_is_linked(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    chosen = [(microsoft.erin.user_principal_name, Choice()), (microsoft.dana.object_id, Choice())]

    job = run_job(service, import_job(write, orgs.acme, users=chosen))

    assert job.status is JobStatus.SUCCEEDED, job.error
    users = kinabase_users(write, orgs.acme)
    assert manager_of(write, orgs.acme, users["erin@contoso.test"]) == users["dana@contoso.test"]


def test_a_group_import_takes_its_members_through_nested_groups_only(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    job = run_job(service, import_job(write, orgs.acme, group="sales"))

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert sorted(kinabase_users(write, orgs.acme)) == ["dana@contoso.test", "erin@contoso.test"]
    users = kinabase_users(write, orgs.acme)
    assert manager_of(write, orgs.acme, users["erin@contoso.test"]) == users["dana@contoso.test"]


def test_candidates_are_the_enabled_users_not_in_kinabase_filtered_and_paged(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    run_job(service, import_job(write, orgs.acme, users=[("dana@contoso.test", Choice())]))
    tenant = microsoft.contoso.tenant_id

    with service.app_context():
        every = candidate_page(write, orgs.acme, tenant, limit=50)
        first = candidate_page(write, orgs.acme, tenant, limit=1)
        second = candidate_page(write, orgs.acme, tenant, offset=1, limit=1)
        searched = candidate_page(write, orgs.acme, tenant, search="gail", limit=50)
        in_sales = candidate_page(write, orgs.acme, tenant, group="Sales", limit=50)

    names = [user.user_principal_name for user in every.users]
    assert sorted(names) == ["erin@contoso.test", "gail@contoso.test"]
    assert every.next_offset is None
    assert first.next_offset == 1 and second.next_offset is None
    assert [*first.users, *second.users] == every.users
    assert [u.user_principal_name for u in searched.users] == ["gail@contoso.test"]
    assert [u.user_principal_name for u in in_sales.users] == ["erin@contoso.test"]


def test_sync_updates_linked_users_adds_no_one_and_deactivates_the_disabled_and_deleted(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    chosen = [
        (u.user_principal_name, Choice()) for u in (microsoft.dana, microsoft.erin, microsoft.gail)
    ]
    assert (
        run_job(service, import_job(write, orgs.acme, users=chosen)).status is JobStatus.SUCCEEDED
    )
    contoso = microsoft.contoso
    contoso.update_user(microsoft.erin, job_title="Sales Lead", display_name="Erin Lead")
    contoso.update_user(microsoft.dana, account_enabled=False)
    contoso.remove_user(microsoft.gail)
    contoso.add_user("hugo", "Hugo New")
    microsoft.erin.photo = JPEG

    job = start_sync(write, orgs.acme)
    write.commit()
    done = run_job(service, job.id)

    assert done.status is JobStatus.SUCCEEDED, done.error
    users = kinabase_users(write, orgs.acme)
    assert sorted(users) == ["dana@contoso.test", "erin@contoso.test", "gail.green@contoso.test"]
    erin = users["erin@contoso.test"]
    assert (erin.job_title, erin.display_name) == ("Sales Lead", "Erin Lead")
    assert write.get_one(UserPhoto, (erin.id, "microsoft")).content == JPEG
    assert users["dana@contoso.test"].status is UserStatus.DEACTIVATED
    assert users["gail.green@contoso.test"].status is UserStatus.DEACTIVATED
    assert outcomes(write, done.id) == {
        "dana@contoso.test": ("deactivated", "account disabled in Microsoft 365"),
        "erin@contoso.test": ("updated", None),
        "gail@contoso.test": ("deactivated", "deleted from Microsoft 365"),
    }


def test_sync_pulls_the_groups_rules_name_so_group_roles_follow_membership(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    create_role(write, orgs.acme, "Sales")
    add_rule(write, orgs.acme, group="Sales", role_names=["Sales"])
    write.commit()
    run_job(service, import_job(write, orgs.acme, everyone=True))
    users = kinabase_users(write, orgs.acme)

    def has_sales(email: str) -> bool:
        write.expire_all()
        return [r.name for r in roles_of_user(write, orgs.acme, users[email].id)] == ["Sales"]

    assert has_sales("dana@contoso.test") and has_sales("erin@contoso.test")
    assert not has_sales("gail.green@contoso.test")
    group = write.scalars(select(ScimGroup).where(ScimGroup.org_id == orgs.acme)).one()
    assert (group.display_name, group.external_id) == ("Sales", microsoft.sales.object_id)

    microsoft.emea.members.remove(microsoft.erin.object_id)
    microsoft.sales.members.append(microsoft.gail.object_id)
    job = start_sync(write, orgs.acme)
    write.commit()
    assert run_job(service, job.id).status is JobStatus.SUCCEEDED

    assert has_sales("dana@contoso.test") and has_sales("gail.green@contoso.test")
    assert not has_sales("erin@contoso.test")


def test_a_seat_shortfall_is_refused_with_the_number_missing_and_nothing_written(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    for index in range(12):
        microsoft.contoso.add_user(f"extra{index}", f"Extra {index}")
    chosen = [(f"extra{index}@contoso.test", Choice()) for index in range(12)]

    with pytest.raises(SeatShortfall, match="2 licence seats missing") as refused:
        start_import(write, orgs.acme, users=chosen)
    assert refused.value.missing == 2
    write.rollback()

    job = run_job(service, import_job(write, orgs.acme, everyone=True))  # 15 enabled users

    assert job.status is JobStatus.FAILED
    assert job.error == (
        "5 licence seats missing: the import needs 15 and 10 are free; nothing was imported"
    )
    assert count_users(write, orgs.acme) == 0
    assert write.scalar(select(func.count()).select_from(ScimUser)) == 0
    assert write.scalar(select(func.count()).select_from(JobItem)) == 0


def test_one_users_refusal_is_their_outcome_and_the_others_go_on(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    # Another Kinabase user already has Erin's address and is linked to someone else: Erin's
    # projection is refused; Dana and Gail are imported all the same.
    body = {"userName": "someone.else@contoso.test", "emails": [{"value": "erin@contoso.test"}]}
    create_user(write, orgs.acme, parse_resource(body, load_registry().user))
    write.commit()

    job = run_job(service, import_job(write, orgs.acme, everyone=True))

    assert job.status is JobStatus.SUCCEEDED and (job.done, job.failed) == (3, 1)
    result = outcomes(write, job.id)
    assert result["erin@contoso.test"][0] == "failed"
    assert "erin@contoso.test" in (result["erin@contoso.test"][1] or "")
    assert result["dana@contoso.test"] == ("created", None)
    assert result["gail@contoso.test"] == ("created", None)


def test_two_tenants_and_two_organisations_stay_apart(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    acme = run_job(service, import_job(write, orgs.acme, everyone=True))
    globex = run_job(service, import_job(write, orgs.globex, everyone=True))

    assert acme.status is globex.status is JobStatus.SUCCEEDED
    assert sorted(kinabase_users(write, orgs.globex)) == ["carol@fabrikam.test"]
    assert "carol@fabrikam.test" not in kinabase_users(write, orgs.acme)
    with service.app_context():
        assert candidate_page(write, orgs.globex, microsoft.fabrikam.tenant_id).users == []
    sync = start_sync(write, orgs.globex)
    write.commit()
    assert run_job(service, sync.id).status is JobStatus.SUCCEEDED
    assert outcomes(write, sync.id) == {"carol@fabrikam.test": ("updated", None)}
    assert count_users(write, orgs.acme) == 3


def test_an_organisation_without_a_tenant_is_refused(
    service: Flask, orgs: Organisations, write: Session
) -> None:
    with pytest.raises(NotConnected, match="not connected to a Microsoft 365 tenant"):
        start_import(write, orgs.initech, everyone=True)
    with pytest.raises(NotConnected):
        start_sync(write, orgs.initech)


def test_consent_missing_fails_the_job_with_a_clear_reason_and_writes_nothing(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    microsoft.cloud.revoke_permission(
        microsoft.contoso.tenant_id, microsoft.registration.client_id, "User.Read.All"
    )

    job = run_job(service, import_job(write, orgs.acme, everyone=True))

    assert job.status is JobStatus.FAILED
    assert "User.Read.All" in (job.error or "") and "admin consent" in (job.error or "")
    assert count_users(write, orgs.acme) == 0


def test_no_consent_at_all_fails_the_job_saying_so(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    del microsoft.cloud.consents[(microsoft.contoso.tenant_id, microsoft.registration.client_id)]

    job = run_job(service, import_job(write, orgs.acme, everyone=True))

    assert job.status is JobStatus.FAILED
    assert "admin consent is missing" in (job.error or "")


def test_throttling_and_a_token_expiring_mid_import_change_nothing_of_the_outcome(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    faults = microsoft.cloud.faults
    struck = [
        faults.graph_fault("/v1.0/users", 429, after=1, retry_after="2.5"),
        faults.graph_fault(
            "/v1.0/users", 503, after=3, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"
        ),
        faults.expire_token("/v1.0/users", after=4),
    ]

    job = run_job(service, import_job(write, orgs.acme, everyone=True))

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert all(fault.seen > fault.after for fault in struck)
    assert sorted(kinabase_users(write, orgs.acme)) == [
        "dana@contoso.test",
        "erin@contoso.test",
        "gail.green@contoso.test",
    ]


def test_a_chosen_user_the_directory_lacks_is_a_failed_outcome_and_the_others_are_imported(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    chosen = [("nobody@contoso.test", Choice()), ("gail@contoso.test", Choice())]

    job = run_job(service, import_job(write, orgs.acme, users=chosen))

    assert (job.status, job.done, job.total, job.failed) == (JobStatus.SUCCEEDED, 2, 2, 1)
    assert outcomes(write, job.id) == {
        "nobody@contoso.test": ("failed", "not in the directory"),
        "gail@contoso.test": ("created", None),
    }


def _sync(service: Flask, write: Session, org_id: int) -> Job:
    job = start_sync(write, org_id)
    write.commit()
    done = run_job(service, job.id)
    assert done.status is JobStatus.SUCCEEDED, done.error
    return done


def _delta_reads(microsoft: Cloud) -> list[str]:
    return [r.url for r in microsoft.microsoft.requests_to("/v1.0/users/delta")]


def test_sync_reads_only_the_changes_since_the_last_sync_with_the_delta_link(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    chosen = [
        (u.user_principal_name, Choice()) for u in (microsoft.dana, microsoft.erin, microsoft.gail)
    ]
    assert (
        run_job(service, import_job(write, orgs.acme, users=chosen)).status is JobStatus.SUCCEEDED
    )
    contoso = microsoft.contoso
    first = _sync(service, write, orgs.acme)  # no link yet: every user, in a first delta round
    first_round = _delta_reads(microsoft)
    assert first_round and "$deltatoken" not in first_round[0]
    write.expire_all()
    link = stored_delta_link(write, orgs.acme, contoso.tenant_id)
    assert link is not None and "$deltatoken" in link
    assert outcomes(write, first.id) == {
        u.user_principal_name: ("updated", None)
        for u in (microsoft.dana, microsoft.erin, microsoft.gail)
    }

    # Update, add and remove in Microsoft 365; the next sync asks Graph for those alone.
    contoso.update_user(microsoft.erin, job_title="Sales Lead")
    hugo = contoso.add_user("hugo", "Hugo New")
    contoso.remove_user(microsoft.gail)
    contoso.update_user(microsoft.frank, job_title="Not in Kinabase")
    reads_before = len(microsoft.microsoft.requests)
    second = _sync(service, write, orgs.acme)

    sent = microsoft.microsoft.requests[reads_before:]
    delta = [r.url for r in sent if "/users/delta" in r.path]
    assert delta[0] == link and all("token=" in url for url in delta), "no new first round"
    assert not [r for r in sent if r.path == "/v1.0/users"], "no full listing"
    assert outcomes(write, second.id) == {
        "erin@contoso.test": ("updated", None),
        "gail@contoso.test": ("deactivated", "deleted from Microsoft 365"),
    }
    users = kinabase_users(write, orgs.acme)
    assert users["erin@contoso.test"].job_title == "Sales Lead"
    assert users["gail.green@contoso.test"].status is UserStatus.DEACTIVATED
    assert users["dana@contoso.test"].status is UserStatus.ACTIVE
    assert hugo.user_principal_name not in users  # Sync adds no one
    write.expire_all()
    newer = stored_delta_link(write, orgs.acme, contoso.tenant_id)
    assert newer is not None and newer != link

    # Nothing changed: an empty round, nothing written.
    third = _sync(service, write, orgs.acme)
    assert outcomes(write, third.id) == {}


def test_a_delta_link_graph_forgot_or_another_tenants_falls_back_to_reading_everyone(
    service: Flask, microsoft: Cloud, orgs: Organisations, write: Session
) -> None:
    chosen = [(u.user_principal_name, Choice()) for u in (microsoft.dana, microsoft.gail)]
    assert (
        run_job(service, import_job(write, orgs.acme, users=chosen)).status is JobStatus.SUCCEEDED
    )
    forgotten = "https://graph.microsoft.com/v1.0/users/delta?$deltatoken=forgotten"
    store_delta_link(write, orgs.acme, microsoft.contoso.tenant_id, forgotten)
    write.commit()
    microsoft.contoso.update_user(microsoft.dana, job_title="Chief")
    microsoft.contoso.remove_user(microsoft.gail)

    done = _sync(service, write, orgs.acme)  # 410 for the link, then a first round

    reads = _delta_reads(microsoft)
    assert reads[0] == forgotten and "$deltatoken" not in reads[1]
    assert outcomes(write, done.id) == {
        "dana@contoso.test": ("updated", None),
        "gail@contoso.test": ("deactivated", "deleted from Microsoft 365"),
    }
    write.expire_all()
    assert stored_delta_link(write, orgs.acme, microsoft.contoso.tenant_id) not in (None, forgotten)
    # A link of the tenant the organisation was connected to before is not used.
    assert stored_delta_link(write, orgs.acme, microsoft.fabrikam.tenant_id) is None
