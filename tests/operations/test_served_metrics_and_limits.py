"""`kinabase-m365 serve` with two gunicorn workers (`WEB_CONCURRENCY=2`, as the README lets an
operator say): /metrics adds up both workers' counts, and a rate limit kept in Redis is one
allowance for both.

Requests go over fresh connections from several threads so that both workers answer; the JSON
request log says which worker (`pid`) answered each, and the test asks until both have.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
from sqlalchemy.orm import Session

from jobs.progress import create_job
from kinabase.database import make_engine
from tests.conformance.served import ServedService, serve_as_the_readme_says
from tests.conftest import empty_all_tables
from tests.operations.redis_support import forget_counts, require_redis

METRICS_TOKEN = "scrape-me-0123456789"
ALLOWANCE = 100
USERS = "/scim/v2/Users"


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedService]:
    redis_url = require_redis()
    forget_counts(database_url)
    extra = {
        "METRICS_TOKEN": METRICS_TOKEN,
        "REDIS_URL": redis_url,
        "SCIM_RATE_LIMIT": f"{ALLOWANCE}/hour",
        "WEB_CONCURRENCY": "2",
    }
    workdir: Path = tmp_path_factory.mktemp("served-operations")
    try:
        with serve_as_the_readme_says(database_url, workdir, extra) as service:
            yield service
    finally:
        forget_counts(database_url)
        engine = make_engine(database_url)
        try:
            empty_all_tables(engine)  # the organisation and token the commands made
        finally:
            engine.dispose()


def request_lines(service: ServedService) -> list[dict[str, object]]:
    lines = []
    for line in service.log().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("logger") == "kinabase_m365.requests":
                lines.append(entry)
    return lines


def get_users(service: ServedService, count: int) -> list[int]:
    root = service.base_url.removesuffix("/scim/v2")

    def one(_: int) -> int:
        with httpx2.Client(base_url=root, timeout=10) as http:  # a connection of its own
            headers = {"Authorization": f"Bearer {service.token}"}
            return http.get(USERS, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


def scrape(service: ServedService) -> str:
    root = service.base_url.removesuffix("/scim/v2")
    with httpx2.Client(base_url=root, timeout=10) as http:
        response = http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert response.status_code == 200
        return response.text


def sample(exposition: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in exposition.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def test_metrics_add_up_over_both_workers_and_redis_limits_are_shared(
    served: ServedService,
) -> None:
    statuses = get_users(served, ALLOWANCE)
    assert statuses == [200] * ALLOWANCE
    answered_by = {line["pid"] for line in request_lines(served) if line["path"] == USERS}
    assert len(answered_by) == 2, "both workers should have answered"

    for _ in range(4):  # whichever worker answers the scrape tells the total
        exposition = scrape(served)
        assert sample(
            exposition,
            "kinabase_m365_http_requests_total",
            endpoint="/scim/v2/Users",
            method="GET",
            status="200",
        ) == float(ALLOWANCE)
        assert sample(
            exposition,
            "kinabase_m365_http_request_duration_seconds_count",
            endpoint="/scim/v2/Users",
            method="GET",
        ) == float(ALLOWANCE)

    # The allowance is spent in Redis: both workers now refuse, whatever each counted itself.
    refused: list[int] = []
    refusing: set[object] = set()
    while len(refusing) < 2 and len(refused) < 60:
        refused += get_users(served, 12)
        refusing = {
            line["pid"]
            for line in request_lines(served)
            if line["path"] == USERS and line["status"] == 429
        }
    assert refused == [429] * len(refused)
    assert len(refusing) == 2
    exposition = scrape(served)
    assert sample(exposition, "kinabase_m365_rate_limited_requests_total", scope="scim") == len(
        refused
    )


def test_job_queue_depth_is_one_reading_whichever_worker_answers(
    served: ServedService, database_url: str
) -> None:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            for kind in ("directory.import", "directory.import", "directory.sync"):
                create_job(session, served.org_id, kind, {})
            session.commit()
    finally:
        engine.dispose()
    for _ in range(4):
        exposition = scrape(served)
        assert (
            sample(exposition, "kinabase_m365_jobs", kind="directory.import", status="queued") == 2
        )
        assert sample(exposition, "kinabase_m365_jobs", kind="directory.sync", status="queued") == 1
        assert (
            sample(exposition, "kinabase_m365_jobs", kind="directory.sync", status="running") == 0
        )


def test_metrics_need_the_token(served: ServedService) -> None:
    root = served.base_url.removesuffix("/scim/v2")
    with httpx2.Client(base_url=root, timeout=10) as http:
        assert http.get("/metrics").status_code == 401
        wrong = http.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401


def test_the_log_is_json_lines_without_tokens(served: ServedService) -> None:
    log = served.log()
    assert served.token not in log
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    requests = [e for e in entries if e.get("logger") == "kinabase_m365.requests"]
    assert requests
    for entry in requests:
        assert {"time", "level", "request_id", "method", "path", "status", "duration_ms"} <= set(
            entry
        )
    users = [e for e in requests if e["path"] == USERS]
    assert all(e["org_id"] == served.org_id for e in users)
    assert all(str(e["credential"]).startswith("token:") for e in users)
