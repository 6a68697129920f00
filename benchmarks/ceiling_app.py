"""The service as `gunicorn wsgi:app` serves it, plus one trivial route: the harness's ceiling.

`GET /bench/ceiling` answers a small JSON body without touching the database. It runs through
everything the application does for every request (the request log, metrics, security headers,
the session hook), under the same gunicorn and from the same client as every other phase, so its
throughput is the most any phase could reach on this machine with this harness: each phase's
throughput is reported as a share of it. Benchmarks serve this module (`benchmarks.ceiling_app:app`)
instead of `wsgi:app`; the route exists nowhere else.
"""

from __future__ import annotations

from flask import Response, jsonify

from benchmarks.load import CEILING_PATH
from wsgi import app


def ceiling() -> Response:
    """A constant answer of about the size of a SCIM error body."""
    return jsonify(status="ok", detail="the harness's ceiling: no database, no SCIM")


app.add_url_rule(CEILING_PATH, "bench_ceiling", ceiling, methods=["GET"])
