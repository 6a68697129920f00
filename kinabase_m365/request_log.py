"""Structured logs: JSON lines, a request id, and one line per request.

Every log record is one JSON object on one line (LOG_FORMAT=json, the default; `text` for people
reading a terminal): `time` (UTC, ISO 8601), `level`, `logger`, `message`, the process `pid`, and
inside a request its `request_id`. A traceback is the `exc_info` member, so it stays on the line.

Each request ends with one line from the logger `kinabase_m365.requests`, message `request`:
`method`, `path` (never the query string, which may carry filter values), `status`,
`duration_ms`, and once authentication has run, `org_id` and `credential` (`token:<row id>` or
`client:<client id>`: never a secret). No body and no header value is logged.

The request id is the client's `X-Request-Id` when it is sane (1 to 128 letters, digits and
`._:-`), else a new random one; it is sent back as `X-Request-Id`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-Id"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
REQUEST_LOGGER = "kinabase_m365.requests"
# Members of a record that the formatter writes when a log call passes them in `extra`.
REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "org_id", "credential")

request_log = logging.getLogger(REQUEST_LOGGER)


def init_app(app: Flask) -> None:
    """Give each request an id and log one line when it is answered."""
    app.before_request(_begin)
    app.after_request(_end)


def note_organisation(org_id: int, credential: str | None = None) -> None:
    """Record who the request acts for, for its log line (features call this once they know)."""
    g.log_org_id = org_id
    if credential is not None:
        g.log_credential = credential


def current_request_id() -> str | None:
    """This request's id (None outside a request)."""
    if not has_request_context():
        return None
    found: str | None = g.get("request_id")
    return found


def _begin() -> None:
    presented = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = presented if SANE_REQUEST_ID.fullmatch(presented) else uuid.uuid4().hex
    g.log_started = time.perf_counter()


def _end(response: Response) -> Response:
    request_id = current_request_id()
    if request_id is None:  # a request that failed before the first hook ran
        return response
    response.headers[REQUEST_ID_HEADER] = request_id
    started: float = g.get("log_started", time.perf_counter())
    fields: dict[str, Any] = {
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    if g.get("log_org_id") is not None:
        fields["org_id"] = g.log_org_id
    if g.get("log_credential") is not None:
        fields["credential"] = g.log_credential
    request_log.info("request", extra=fields)
    return response


class RequestIdFilter(logging.Filter):
    """Stamp every record made inside a request with the request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": os.getpid(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A line for people: time, level, logger, request id, message, then the request's fields."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        line = super().format(record)
        fields = [
            f"{name}={getattr(record, name)}" for name in REQUEST_FIELDS if hasattr(record, name)
        ]
        return " ".join([line, *fields]) if fields else line


def configure_logging(level: str, log_format: str) -> None:
    """Log to stderr at the given level, as JSON lines or text (handlers set once a process)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        if log_format == "json":
            handler.setFormatter(JsonFormatter())
        else:
            handler.setFormatter(TextFormatter())
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    root.setLevel(level.upper())
