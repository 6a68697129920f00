"""Prometheus metrics at /metrics (prometheus-client), shared by gunicorn's workers.

- `kinabase_m365_http_requests_total{endpoint, method, status}`: requests answered, by route
  template (`/scim/v2/Users/<user_id>`; `unmatched` for paths no route serves, so that the
  number of series stays bounded), method and status.
- `kinabase_m365_http_request_duration_seconds{endpoint, method}`: latency histogram, from the
  request's start until its response is ready (a streamed body's tail is not included).
- `kinabase_m365_database_errors_total{error}`: errors the database driver raised, by
  SQLAlchemy's class (`OperationalError` for an outage, `IntegrityError` for a uniqueness clash
  the service turns into a 409, …), counted by an engine event whatever became of them.
- `kinabase_m365_rate_limited_requests_total{scope}`: requests refused with 429 (`scim`,
  `oauth_token`).
- `kinabase_m365_jobs{kind, status}`: background jobs waiting (`queued`) and `running`, by kind
  (a gauge read from the database when /metrics is scraped: `add_scrape_gauge`, which the
  wiring gives the jobs' reading; one indexed GROUP BY per scrape, whichever worker answers).

Under gunicorn every worker is a process of its own: with PROMETHEUS_MULTIPROC_DIR set (as
`kinabase-m365 serve` does) each writes its values to files there and any worker's /metrics adds
them all up. Without it (tests, one process) each app counts in a registry of its own.

/metrics answers to `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set. Without
it, it is open in development and test mode and absent (404) in production, where it would
otherwise tell anyone which endpoints are used and how often.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import SQLAlchemyError

from kinabase_m365.settings import Environment, Settings

EXTENSION_KEY = "kinabase.metrics"
MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"
# From a cached discovery read (≈1 ms) to a large /Bulk or group (seconds).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

blueprint = Blueprint("metrics", __name__)
log = logging.getLogger(__name__)

# A gauge's samples: label values and the value of each series.
GaugeSamples = Iterable[tuple[tuple[str, ...], float]]


@dataclass(frozen=True)
class ScrapeGauge:
    """A gauge whose samples are read when /metrics is scraped (from the database, say), not
    kept by any process: in multiprocess mode the one worker answering reads them once."""

    name: str
    documentation: str
    labels: tuple[str, ...]
    read: Callable[[], GaugeSamples]


class _ScrapeCollector(Collector):
    """Reads the scrape gauges at collection; a gauge whose database cannot be read is left
    out of that scrape (the database errors counter already says why)."""

    def __init__(self, gauges: list[ScrapeGauge]) -> None:
        self.gauges = gauges

    def collect(self) -> Iterator[Metric]:
        for gauge in self.gauges:
            family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=gauge.labels)
            try:
                for labels, value in gauge.read():
                    family.add_metric(labels, value)
            except SQLAlchemyError as error:
                log.warning("metric %s not read: %s", gauge.name, type(error).__name__)
                continue
            yield family


@dataclass(frozen=True)
class Metrics:
    """The app's metrics and the registry /metrics reads (None in multiprocess mode)."""

    registry: CollectorRegistry | None
    requests: Counter
    latency: Histogram
    database_errors: Counter
    rate_limited: Counter
    token: str
    open_without_token: bool
    scrape_gauges: list[ScrapeGauge] = field(default_factory=list)

    def exposition(self) -> bytes:
        """The text format of every metric, added up over all workers in multiprocess mode,
        and the scrape gauges read now."""
        registry = self.registry
        if registry is None:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            registry.register(_ScrapeCollector(self.scrape_gauges))
        return generate_latest(registry)


def multiprocess_mode() -> bool:
    """Whether metrics are written to PROMETHEUS_MULTIPROC_DIR for several processes."""
    return bool(os.environ.get(MULTIPROCESS_DIRECTORY))


def init_app(app: Flask, settings: Settings, engine: Engine) -> Metrics:
    """Create the app's metrics, count its requests and its engine's errors, serve /metrics."""
    shared = multiprocess_mode()
    if shared and values.ValueClass is values.MutexValue:
        # prometheus-client chose its value class when first imported; the directory may have
        # been set after that (`kinabase-m365 serve` sets it before starting gunicorn).
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    registry = None if shared else CollectorRegistry()
    metrics = Metrics(
        registry=registry,
        requests=Counter(
            "kinabase_m365_http_requests",
            "HTTP requests answered, by route, method and status.",
            ["endpoint", "method", "status"],
            registry=registry,
        ),
        latency=Histogram(
            "kinabase_m365_http_request_duration_seconds",
            "Time to answer an HTTP request, by route and method.",
            ["endpoint", "method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        database_errors=Counter(
            "kinabase_m365_database_errors",
            "Errors raised by the database driver, by SQLAlchemy error class.",
            ["error"],
            registry=registry,
        ),
        rate_limited=Counter(
            "kinabase_m365_rate_limited_requests",
            "Requests refused with 429 by a rate limit, by scope.",
            ["scope"],
            registry=registry,
        ),
        token=settings.metrics_token,
        open_without_token=Environment(settings.environment) is not Environment.PRODUCTION,
    )
    if registry is not None:
        registry.register(_ScrapeCollector(metrics.scrape_gauges))
    app.extensions[EXTENSION_KEY] = metrics
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.register_blueprint(blueprint)

    def count_database_error(context: ExceptionContext) -> None:
        error = context.sqlalchemy_exception or context.original_exception
        metrics.database_errors.labels(type(error).__name__).inc()

    event.listen(engine, "handle_error", count_database_error)
    return metrics


def _current() -> Metrics | None:
    found: Metrics | None = current_app.extensions.get(EXTENSION_KEY)
    return found


def add_scrape_gauge(app: Flask, gauge: ScrapeGauge) -> None:
    """Serve `gauge` at /metrics, read at each scrape (the wiring calls this for features)."""
    metrics: Metrics | None = app.extensions.get(EXTENSION_KEY)
    if metrics is not None:
        metrics.scrape_gauges.append(gauge)


def count_rate_limited(scope: str) -> None:
    """Count a request refused by a rate limit (features call this; no-op without metrics)."""
    metrics = _current()
    if metrics is not None:
        metrics.rate_limited.labels(scope).inc()


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    metrics = _current()
    started: float | None = g.get("metrics_started")
    if metrics is None or started is None:
        return response
    endpoint = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    metrics.requests.labels(endpoint, request.method, str(response.status_code)).inc()
    metrics.latency.labels(endpoint, request.method).observe(time.perf_counter() - started)
    return response


@blueprint.get("/metrics")
def serve_metrics() -> Response:
    """The Prometheus text exposition format, for a scraper that holds METRICS_TOKEN."""
    metrics = _current()
    if metrics is None:
        abort(404)
    if metrics.token:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.strip().encode(), metrics.token.encode()
        ):
            return Response(
                "a bearer token is required\n",
                401,
                {"WWW-Authenticate": 'Bearer realm="kinabase-m365 metrics"'},
                content_type="text/plain; charset=utf-8",
            )
    elif not metrics.open_without_token:
        abort(404)
    return Response(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
