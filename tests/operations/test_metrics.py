"""/metrics: requests by route and status, latency, database errors; who may read it."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from jobs.progress import claim, create_job, finish
from tests.conftest import provision_organisation
from tests.operations.conftest import MakeApp
from tests.scim_client import entra_user


def sample(client: FlaskClient, line_start: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    for line in text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_requests_are_counted_by_route_template_and_status(
    make_app: MakeApp, engine: Engine
) -> None:
    app = make_app()
    client = app.test_client()
    acme = provision_organisation(engine, client)
    created = acme.scim.post("/Users", entra_user("ada@acme.test", "Ada", "L", "e-1"))
    user_id = created.get_json()["id"]
    acme.scim.get(f"/Users/{user_id}")
    acme.scim.get("/Users/no-such-user")
    acme.scim.post("/Users", entra_user("ada@acme.test", "Ada", "L", "e-1"))  # 409
    client.get("/no/such/page")

    def requests(endpoint: str, method: str, status: int) -> float:
        labels = f'endpoint="{endpoint}",method="{method}",status="{status}"'
        return sample(client, f"kinabase_m365_http_requests_total{{{labels}}}")

    assert requests("/scim/v2/Users", "POST", 201) == 1.0
    assert requests("/scim/v2/Users", "POST", 409) == 1.0
    assert requests("/scim/v2/Users/<user_id>", "GET", 200) == 1.0
    assert requests("/scim/v2/Users/<user_id>", "GET", 404) == 1.0
    assert requests("unmatched", "GET", 404) == 1.0
    histogram = 'kinabase_m365_http_request_duration_seconds_count{endpoint="/scim/v2/Users"'
    assert sample(client, histogram + ',method="POST"}') == 2.0
    # The 409 came from the database's unique index.
    assert sample(client, 'kinabase_m365_database_errors_total{error="IntegrityError"}') >= 1.0
    assert user_id not in client.get("/metrics").get_data(as_text=True)


def test_with_a_token_metrics_need_it(make_app: MakeApp) -> None:
    client = make_app(metrics_token="s3cret-scrape").test_client()

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    granted = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
    assert granted.status_code == 200
    assert granted.content_type.startswith("text/plain")


def test_in_production_without_a_token_there_are_no_metrics(make_app: MakeApp) -> None:
    client = make_app(environment="production", secret_key="a-production-secret").test_client()

    assert client.get("/metrics").status_code == 404
    assert client.get("/healthz").status_code == 200


def test_job_queue_depth_is_read_from_the_database_at_each_scrape(
    make_app: MakeApp, engine: Engine, session: Session
) -> None:
    client = make_app().test_client()
    acme = provision_organisation(engine, client)
    depth = 'kinabase_m365_jobs{{kind="{}",status="{}"}}'
    # Every kind has its series from the start, at zero.
    for kind in ("directory.import", "directory.sync"):
        for status in ("queued", "running"):
            assert f"{depth.format(kind, status)} 0.0" in client.get("/metrics").get_data(
                as_text=True
            )

    jobs = [create_job(session, acme.org_id, "directory.import", {}) for _ in range(3)]
    create_job(session, acme.org_id, "directory.sync", {})
    session.commit()
    assert claim(session, jobs[0].id) and claim(session, jobs[1].id)
    finish(session, jobs[1].id)
    session.commit()

    assert sample(client, depth.format("directory.import", "queued")) == 1.0
    assert sample(client, depth.format("directory.import", "running")) == 1.0
    assert sample(client, depth.format("directory.sync", "queued")) == 1.0
    assert sample(client, depth.format("directory.sync", "running")) == 0.0
    finish(session, jobs[0].id, error="stopped")
    session.commit()
    assert sample(client, depth.format("directory.import", "running")) == 0.0
