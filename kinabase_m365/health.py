"""`GET /healthz`: whether the service can reach its database, for load balancers."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from kinabase.database import is_unavailable
from kinabase_m365.database import get_database

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the database answers, 503 otherwise."""
    try:
        with get_database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        if not is_unavailable(error):
            raise
        get_database().outages.failed("GET /healthz", error)
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200
