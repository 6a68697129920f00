"""A bounded concurrent HTTP client: a fixed number of threads, one `requests.Session` each.

Every run of calls stops at whichever comes first: the end of its calls, its request cap, or its
deadline. Latency is measured around the whole exchange, the response body read included.
Sessions ignore proxy settings from the environment, so traffic never leaves loopback.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

REQUEST_TIMEOUT = 60.0
SCIM_JSON = "application/scim+json"
OK_READ = frozenset({200})
OK_CREATE = frozenset({201})
OK_WRITE = frozenset({200, 204})
OK_DELETE = frozenset({204})
CEILING_PATH = "/bench/ceiling"  # the trivial route of benchmarks/ceiling_app.py


@dataclass(frozen=True)
class Target:
    """A running SCIM service provider: its base URL (ending in /v2) and a bearer token."""

    base_url: str
    token: str

    def session(self) -> requests.Session:
        """A session that speaks SCIM with this target's token and never uses a proxy."""
        session = requests.Session()
        session.trust_env = False
        session.headers.update({"Authorization": f"Bearer {self.token}", "Accept": SCIM_JSON})
        return session


@dataclass(frozen=True)
class Call:
    """One request: the path is relative to the SCIM base URL (to the server's root if `root`)."""

    method: str
    path: str
    body: Any = None
    expect: frozenset[int] = OK_READ
    # Sees each response whose status was expected; a message it returns counts as an error.
    check: Callable[[requests.Response], str | None] | None = None
    root: bool = False


@dataclass
class PhaseResult:
    """What one phase did against one server."""

    requests: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    capped: bool = False
    error_samples: list[str] = field(default_factory=list)
    client_cpu: float = 0.0  # CPU seconds of this (client) process during the phase
    server_cpu: float | None = None  # CPU seconds of the server (and its database backends)

    def server_cpu_ms_per_request(self) -> float:
        """The server's CPU time per request, in milliseconds (NaN when unknown)."""
        if self.server_cpu is None or not self.requests:
            return math.nan
        return self.server_cpu / self.requests * 1000

    def client_cpu_percent(self) -> float:
        """The client's CPU use during the phase, in percent of one core."""
        return self.client_cpu / self.elapsed * 100 if self.elapsed > 0 else math.nan

    @property
    def throughput(self) -> float:
        """Requests answered as expected per second of wall-clock time (errors do not count)."""
        ok = self.requests - self.errors
        return ok / self.elapsed if self.elapsed > 0 else 0.0

    def percentile_ms(self, percent: float) -> float:
        """The nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(percent / 100 * len(ordered)))
        return ordered[rank - 1] * 1000

    def merge(self, other: PhaseResult) -> PhaseResult:
        """This result followed by another (for a phase made of dependent steps)."""
        return PhaseResult(
            requests=self.requests + other.requests,
            errors=self.errors + other.errors,
            elapsed=self.elapsed + other.elapsed,
            latencies=self.latencies + other.latencies,
            capped=self.capped or other.capped,
            error_samples=(self.error_samples + other.error_samples)[:5],
            client_cpu=self.client_cpu + other.client_cpu,
        )


def send(session: requests.Session, base_url: str, call: Call) -> requests.Response:
    """Send one call and read its whole response."""
    headers = {"Content-Type": SCIM_JSON} if call.body is not None else None
    if call.root:
        parts = urlsplit(base_url)
        base_url = f"{parts.scheme}://{parts.netloc}"
    return session.request(
        call.method,
        base_url + call.path,
        json=call.body,
        headers=headers,
        timeout=REQUEST_TIMEOUT,
    )


def run_calls(
    target: Target,
    calls: Sequence[Call],
    *,
    concurrency: int,
    deadline: float,
    max_requests: int,
) -> PhaseResult:
    """Send `calls` with `concurrency` threads until done, `max_requests` or `deadline`.

    `deadline` is a `time.monotonic()` instant. A call is only started before the deadline, so
    the phase overruns it by at most one request per thread.
    """
    result = PhaseResult()
    lock = threading.Lock()
    next_index = 0
    limit = min(len(calls), max_requests)
    if limit < len(calls):
        result.capped = True

    def worker() -> None:
        nonlocal next_index
        session = target.session()
        try:
            while True:
                with lock:
                    if next_index >= limit:
                        return
                    if time.monotonic() >= deadline:
                        result.capped = True
                        return
                    call = calls[next_index]
                    next_index += 1
                _timed_exchange(session, target.base_url, call, result, lock)
        finally:
            session.close()

    started = time.perf_counter()
    cpu_started = time.process_time()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - started
    result.client_cpu = time.process_time() - cpu_started
    return result


def _timed_exchange(
    session: requests.Session, base_url: str, call: Call, result: PhaseResult, lock: threading.Lock
) -> None:
    began = time.perf_counter()
    try:
        response = send(session, base_url, call)
        failure = None if response.status_code in call.expect else _describe(call, response)
    except requests.RequestException as error:
        response, failure = None, f"{call.method} {call.path}: {error}"
    latency = time.perf_counter() - began
    if response is not None and failure is None and call.check is not None:
        failure = call.check(response)
        if failure is not None:
            failure = f"{call.method} {call.path}: {failure}"
    with lock:
        result.requests += 1
        result.latencies.append(latency)
        if failure is not None:
            result.errors += 1
            if len(result.error_samples) < 5:
                result.error_samples.append(failure)


def _describe(call: Call, response: requests.Response) -> str:
    return f"{call.method} {call.path} -> {response.status_code}: {response.text[:300]}"
