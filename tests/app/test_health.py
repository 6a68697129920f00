"""The health endpoint answers for load balancers."""

from __future__ import annotations

from flask.testing import FlaskClient

from kinabase_m365.app import create_app


def test_healthz_is_ok_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_is_unavailable_when_the_database_does_not_answer(tmp_path: object) -> None:
    app = create_app(
        {
            "database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "environment": "test",
            "secret_key": "x",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unreachable"}
