"""The provisioning activity is kept PROVISIONING_ACTIVITY_RETENTION_DAYS (default 30), pruned by
the job queue's hourly periodic task; `kinabase-m365 provisioning activity` shows it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select

from jobs.queue import app_jobs
from kinabase.base import utcnow
from kinabase.database import make_sessionmakers
from kinabase.provisioning_activity import ProvisioningActivity
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from kinabase_m365.settings import SettingsError, load_settings
from tests.cli_support import run_cli
from tests.conftest import provision_organisation
from tests.scim_client import USER_SCHEMA


@pytest.fixture
def service(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The service with its job queue in a temporary SQLite file, 30 days' retention."""
    app = create_app(
        {
            "database_url": database_url,
            "environment": "test",
            "secret_key": "test-secret-key",
            "jobs_sqlite_path": str(tmp_path / "jobs.db"),
        }
    )
    app.testing = True
    yield app
    get_database(app).engine.dispose()


def _entries(engine: Engine, org_id: int | None = None) -> int:
    read_sessions, _ = make_sessionmakers(engine)
    with read_sessions() as session:
        query = select(func.count()).select_from(ProvisioningActivity)
        if org_id is not None:
            query = query.where(ProvisioningActivity.org_id == org_id)
        return int(session.scalar(query) or 0)


def test_the_periodic_task_deletes_entries_older_than_the_retention(
    service: Flask, engine: Engine
) -> None:
    acme = provision_organisation(engine, service.test_client())
    globex = provision_organisation(engine, service.test_client())
    recorded_at = utcnow()
    for user_name in ("ada@acme.test", "bob@acme.test"):
        acme.scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": user_name})
    globex.scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "grace@globex.test"})
    jobs = app_jobs(service)

    assert jobs.prune_activity(now=recorded_at + timedelta(days=29)) == 0
    assert _entries(engine) == 3
    assert jobs.prune_activity(now=recorded_at + timedelta(days=30, minutes=1)) == 3
    assert _entries(engine) == 0


def test_the_prune_runs_hourly_on_the_queue(service: Flask, engine: Engine) -> None:
    acme = provision_organisation(engine, service.test_client())
    acme.scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "ada@acme.test"})
    huey = app_jobs(service).huey

    due = {task.name for task in huey.read_periodic(datetime(2026, 1, 1, 10, 17, tzinfo=UTC))}
    assert "provisioning_activity.prune" in due
    later = {task.name for task in huey.read_periodic(datetime(2026, 1, 1, 10, 18, tzinfo=UTC))}
    assert "provisioning_activity.prune" not in later
    [prune] = [
        task
        for task in huey.read_periodic(datetime(2026, 1, 1, 10, 17, tzinfo=UTC))
        if task.name == "provisioning_activity.prune"
    ]
    huey.execute(prune)  # today's entry is inside the 30 days
    assert _entries(engine, acme.org_id) == 1


def test_the_retention_is_a_setting_of_at_least_one_day() -> None:
    environ = {"KINABASE_ENV": "test", "PROVISIONING_ACTIVITY_RETENTION_DAYS": "7"}
    assert load_settings(environ).provisioning_activity_retention_days == 7
    assert load_settings({"KINABASE_ENV": "test"}).provisioning_activity_retention_days == 30
    with pytest.raises(SettingsError, match="PROVISIONING_ACTIVITY_RETENTION_DAYS"):
        load_settings({"KINABASE_ENV": "test", "PROVISIONING_ACTIVITY_RETENTION_DAYS": "0"})


def test_the_cli_lists_the_activity_newest_first(
    app: Flask, engine: Engine, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    small = provision_organisation(engine, app.test_client(), seats=1)
    other = provision_organisation(engine, app.test_client())
    small.scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "ada@acme.test"})
    small.scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "bob@acme.test"})
    other.scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "eve@other.test"})
    org = str(small.org_id)

    status, out, err = run_cli(capsys, "provisioning", "activity", "--org", org)
    assert status == 0, err
    lines = [line.split("\t") for line in out.splitlines()]
    assert [(line[1], line[2], line[5]) for line in lines] == [
        ("refused", "403", "bob@acme.test"),
        ("succeeded", "201", "ada@acme.test"),
    ]
    assert lines[0][7] == "no-seat"

    status, out, _ = run_cli(
        capsys, "provisioning", "activity", "--org", org, "--outcome", "refused", "--json"
    )
    [entry] = json.loads(out)
    assert status == 0
    assert (entry["name"], entry["reason"], entry["status"]) == ("bob@acme.test", "no-seat", 403)
    assert entry["detail"] == "licence allocation exhausted: 1 of 1 seats in use"

    status, _, err = run_cli(capsys, "provisioning", "activity", "--org", "999999")
    assert status == 2 and "error" in err
    status, _, err = run_cli(capsys, "provisioning", "activity", "--org", org, "--limit", "0")
    assert status == 2 and "must be at least 1" in err
