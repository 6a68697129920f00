"""Tables of the results, as Markdown (readable in a terminal and pasteable into docs)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.load import PhaseResult
from benchmarks.servers import SCIM2_SERVER_NAME

THROUGHPUT_TARGET = 3.0  # every phase at N = 2,000: at least 3 times scim2-server's throughput


@dataclass(frozen=True)
class Row:
    """One phase on one server."""

    phase: str
    server: str
    result: PhaseResult
    ratio: float | None  # throughput relative to scim2-server in the same phase

    def as_dict(self) -> dict[str, Any]:
        """The row as plain values, for JSON."""
        return {
            "phase": self.phase,
            "server": self.server,
            "requests": self.result.requests,
            "errors": self.result.errors,
            "seconds": round(self.result.elapsed, 3),
            "requests_per_second": round(self.result.throughput, 2),
            "p50_ms": _rounded(self.result.percentile_ms(50)),
            "p99_ms": _rounded(self.result.percentile_ms(99)),
            "ratio_vs_scim2_server": None if self.ratio is None else round(self.ratio, 2),
            "capped": self.result.capped,
            "server_cpu_ms_per_request": _rounded(self.result.server_cpu_ms_per_request()),
            "client_cpu_percent": _rounded(self.result.client_cpu_percent()),
        }


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 2)


def rows_of(phases: Sequence[str], results: dict[str, dict[str, PhaseResult]]) -> list[Row]:
    """One row per phase and server, `results[server][phase]`, with ratios to scim2-server."""
    rows = []
    reference = results.get(SCIM2_SERVER_NAME, {})
    for phase in phases:
        base = reference.get(phase)
        for server, by_phase in results.items():
            result = by_phase.get(phase)
            if result is None:
                continue
            ratio = None
            if (
                server != SCIM2_SERVER_NAME
                and base is not None
                and base.throughput > 0
                and result.requests > 0
            ):
                ratio = result.throughput / base.throughput
            rows.append(Row(phase, server, result, ratio))
    return rows


def workload_table(rows: Sequence[Row]) -> str:
    """The workload table: phase, server, requests, req/s, p50, p99, ratio and target."""
    header = (
        "| phase | server | requests | errors | req/s | p50 ms | p99 ms "
        "| vs scim2-server | target 3x | server CPU ms/req | client CPU % |"
    )
    lines = [header, "|---|---|---:|---:|---:|---:|---:|---:|:---:|---:|---:|"]
    for row in rows:
        result = row.result
        capped = " (capped)" if result.capped else ""
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}"
        target = (
            "" if row.ratio is None else ("met" if row.ratio >= THROUGHPUT_TARGET else "MISSED")
        )
        lines.append(
            f"| {row.phase} | {row.server} | {result.requests}{capped} | {result.errors} "
            f"| {result.throughput:.1f} | {_ms(result.percentile_ms(50))} "
            f"| {_ms(result.percentile_ms(99))} | {ratio} | {target} "
            f"| {_ms(result.server_cpu_ms_per_request())} "
            f"| {_ms(result.client_cpu_percent())} |"
        )
    return "\n".join(lines)


def _ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.1f}"
