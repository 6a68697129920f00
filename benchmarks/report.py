"""Tables of the results, as Markdown (readable in a terminal and pasteable into docs)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.load import PhaseResult
from benchmarks.servers import SCIM2_SERVER_NAME


@dataclass(frozen=True)
class Targets:
    """A phase's targets: throughput relative to scim2-server's, most server CPU per request."""

    throughput: float | None = None
    cpu_ms: float | None = None


@dataclass(frozen=True)
class Row:
    """One phase on one server."""

    phase: str
    server: str
    result: PhaseResult
    ratio: float | None  # throughput relative to scim2-server in the same phase
    ceiling_share: float | None = None  # throughput as a share of the same server's ceiling
    targets: Targets = Targets()

    def throughput_met(self) -> bool | None:
        """Whether the throughput target is met (None: no target or no ratio)."""
        if self.targets.throughput is None or self.ratio is None:
            return None
        return self.ratio >= self.targets.throughput

    def cpu_met(self) -> bool | None:
        """Whether the server CPU per request is within its target (None: no target)."""
        cpu = self.result.server_cpu_ms_per_request()
        if self.targets.cpu_ms is None or self.server == SCIM2_SERVER_NAME or math.isnan(cpu):
            return None
        return cpu <= self.targets.cpu_ms

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
            "share_of_ceiling": (
                None if self.ceiling_share is None else round(self.ceiling_share, 3)
            ),
            "throughput_target": self.targets.throughput,
            "throughput_target_met": self.throughput_met(),
            "cpu_target_ms": self.targets.cpu_ms,
            "cpu_target_met": self.cpu_met(),
            "capped": self.result.capped,
            "server_cpu_ms_per_request": _rounded(self.result.server_cpu_ms_per_request()),
            "client_cpu_percent": _rounded(self.result.client_cpu_percent()),
        }


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 2)


def rows_of(
    phases: Sequence[str],
    results: dict[str, dict[str, PhaseResult]],
    targets: dict[str, Targets] | None = None,
    ceiling_phase: str | None = None,
) -> list[Row]:
    """One row per phase and server, `results[server][phase]`, with ratios to scim2-server and
    shares of the server's own ceiling (the throughput of `ceiling_phase` on that server)."""
    rows = []
    reference = results.get(SCIM2_SERVER_NAME, {})
    targets = targets or {}
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
            ceiling = by_phase.get(ceiling_phase) if ceiling_phase is not None else None
            share = (
                result.throughput / ceiling.throughput
                if ceiling is not None and ceiling.throughput > 0
                else None
            )
            rows.append(Row(phase, server, result, ratio, share, targets.get(phase, Targets())))
    return rows


def workload_table(rows: Sequence[Row]) -> str:
    """The workload table: phase, server, requests, req/s, p50, p99, the ratio to scim2-server
    and its target, the share of the ceiling, server CPU per request and its target."""
    header = (
        "| phase | server | requests | errors | req/s | p50 ms | p99 ms "
        "| vs scim2-server | target | of ceiling | server CPU ms/req | CPU target "
        "| client CPU % |"
    )
    lines = [header, "|---|---|---:|---:|---:|---:|---:|---:|:---:|---:|---:|:---:|---:|"]
    for row in rows:
        result = row.result
        capped = " (capped)" if result.capped else ""
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}"
        share = "—" if row.ceiling_share is None else f"{100 * row.ceiling_share:.0f} %"
        target = _verdict(row.throughput_met(), f"{row.targets.throughput}x")
        cpu_target = _verdict(row.cpu_met(), f"≤{row.targets.cpu_ms}")
        lines.append(
            f"| {row.phase} | {row.server} | {result.requests}{capped} | {result.errors} "
            f"| {result.throughput:.1f} | {_ms(result.percentile_ms(50))} "
            f"| {_ms(result.percentile_ms(99))} | {ratio} | {target} | {share} "
            f"| {_ms(result.server_cpu_ms_per_request())} | {cpu_target} "
            f"| {_ms(result.client_cpu_percent())} |"
        )
    return "\n".join(lines)


def _verdict(met: bool | None, target: str) -> str:
    if met is None:
        return ""
    return f"{target} met" if met else f"{target} MISSED"


def _ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.1f}"
