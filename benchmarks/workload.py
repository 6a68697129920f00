"""The Entra-shaped workload of issue 6, phase by phase, and its side-by-side run.

Each phase is one or more steps; a step is a list of calls sent concurrently, and a later step
may use what an earlier one learnt (the group's id). The run interleaves servers within each
phase (phase 1 on every server, then phase 2 on every server, ...) so that the noise of a shared
machine falls on all servers alike and the per-phase ratios compare like with like.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from benchmarks import entra, profiling
from benchmarks.load import (
    CEILING_PATH,
    OK_CREATE,
    OK_DELETE,
    OK_WRITE,
    Call,
    PhaseResult,
    run_calls,
)
from benchmarks.servers import SCIM2_SERVER_NAME, RunningServer

PAGE_SIZE = 100
SINGLE_MEMBER_CHANGES = 100  # how many one-member PATCHes the single add/remove phases send
GROUP_READS = 500
MIN_PAGE_REQUESTS = 50  # page through /Users enough times to time at least this many pages


@dataclass
class ServerRun:
    """One server's progress through the workload: the ids it handed out."""

    server: RunningServer
    run: str
    n: int
    user_ids: dict[int, str] = field(default_factory=dict)
    group_id: str | None = None
    results: dict[str, PhaseResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def ids(self) -> list[str]:
        """The ids of the users created so far, in creation order of their index."""
        return [self.user_ids[index] for index in sorted(self.user_ids)]


Step = Callable[[ServerRun], list[Call]]
Verify = Callable[[ServerRun], str | None]


SINGLE_USER_TARGET = 1.0  # single-user phases: at least scim2-server's throughput (issue 15)
BULK_TARGET = 3.0  # group phases, GET group, paging: at least 3 times (issue 6)
WRITE_CPU_MS = 4.0  # server CPU per single-resource write, database included (issue 15)
READ_CPU_MS = 1.5  # ... and per single-resource read


@dataclass(frozen=True)
class Phase:
    """A named part of the workload, with its targets (None: none applies).

    `throughput_target` is the least throughput relative to scim2-server's in the same run;
    `cpu_target_ms` the most server CPU per request. A phase whose requests each write or read
    many resources (100 members per PATCH, 100 users a page) has no per-request CPU target.
    `ceiling` marks the harness's own ceiling, run on ours only.
    """

    name: str
    steps: tuple[Step, ...]
    verify: Verify | None = None
    throughput_target: float | None = None
    cpu_target_ms: float | None = None
    ceiling: bool = False


CEILING_PHASE = "harness ceiling (trivial route)"


def _ceiling(state: ServerRun) -> list[Call]:
    return [Call("GET", CEILING_PATH, root=True) for _ in range(state.n)]


def _create_users(state: ServerRun) -> list[Call]:
    def remember(index: int) -> Callable[[requests.Response], str | None]:
        def check(response: requests.Response) -> str | None:
            state.user_ids[index] = response.json()["id"]
            return None

        return check

    return [
        Call("POST", "/Users", entra.create_user(state.run, i), OK_CREATE, remember(i))
        for i in range(state.n)
    ]


def _set_managers(state: ServerRun) -> list[Call]:
    # A ten-wide tree: user i reports to user (i - 1) // 10; user 0 has no manager.
    dialect = state.server.dialect
    return [
        Call(
            "PATCH",
            f"/Users/{state.user_ids[i]}",
            entra.set_manager(state.user_ids[(i - 1) // 10], dialect),
            OK_WRITE,
        )
        for i in sorted(state.user_ids)
        if i > 0 and (i - 1) // 10 in state.user_ids
    ]


def _filter_user_name(state: ServerRun) -> list[Call]:
    def exactly(user_id: str) -> Callable[[requests.Response], str | None]:
        def check(response: requests.Response) -> str | None:
            found = [resource["id"] for resource in response.json().get("Resources", [])]
            return None if found == [user_id] else f"expected only {user_id}, got {found[:3]}"

        return check

    return [
        Call(
            "GET",
            "/Users?" + entra.user_name_filter(entra.user_name(state.run, i)),
            check=exactly(user_id),
        )
        for i, user_id in sorted(state.user_ids.items())
    ]


def _replace_title(state: ServerRun) -> list[Call]:
    return [
        Call("PATCH", f"/Users/{user_id}", entra.replace_title(f"Principal {i}"), OK_WRITE)
        for i, user_id in sorted(state.user_ids.items())
    ]


def _create_group(state: ServerRun) -> list[Call]:
    def remember(response: requests.Response) -> str | None:
        state.group_id = response.json()["id"]
        return None

    body = entra.create_group(state.run, "all", state.server.dialect)
    return [Call("POST", "/Groups", body, OK_CREATE, remember)]


def _add_all_members(state: ServerRun) -> list[Call]:
    if state.group_id is None:
        return []
    ids = state.ids()
    return [
        Call(
            "PATCH",
            f"/Groups/{state.group_id}",
            entra.add_members(ids[start : start + entra.MEMBER_BATCH]),
            OK_WRITE,
        )
        for start in range(0, len(ids), entra.MEMBER_BATCH)
    ]


def _changed_members(state: ServerRun) -> list[str]:
    return state.ids()[:SINGLE_MEMBER_CHANGES]


def _remove_one_member(state: ServerRun) -> list[Call]:
    if state.group_id is None:
        return []
    return [
        Call("PATCH", f"/Groups/{state.group_id}", entra.remove_member(member), OK_WRITE)
        for member in _changed_members(state)
    ]


def _add_one_member(state: ServerRun) -> list[Call]:
    if state.group_id is None:
        return []
    return [
        Call("PATCH", f"/Groups/{state.group_id}", entra.add_members([member]), OK_WRITE)
        for member in _changed_members(state)
    ]


def _read_group_without_members(state: ServerRun) -> list[Call]:
    if state.group_id is None:
        return []

    def no_members(response: requests.Response) -> str | None:
        return "members were returned" if "members" in response.json() else None

    path = f"/Groups/{state.group_id}?excludedAttributes=members"
    return [Call("GET", path, check=no_members) for _ in range(min(state.n, GROUP_READS))]


def _page_users(state: ServerRun) -> list[Call]:
    total = len(state.user_ids)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    passes = min(5, math.ceil(MIN_PAGE_REQUESTS / pages))

    def page_of(start: int) -> Callable[[requests.Response], str | None]:
        expected = min(PAGE_SIZE, total - start + 1)

        def check(response: requests.Response) -> str | None:
            got = len(response.json().get("Resources", []))
            return None if got == expected else f"page at {start}: {got} of {expected} users"

        return check

    starts = [1 + page * PAGE_SIZE for page in range(pages)]
    return [
        Call("GET", f"/Users?startIndex={start}&count={PAGE_SIZE}", check=page_of(start))
        for _ in range(passes)
        for start in starts
    ]


def _delete_all(state: ServerRun) -> list[Call]:
    calls = [Call("DELETE", f"/Users/{user_id}", expect=OK_DELETE) for user_id in state.ids()]
    if state.group_id is not None:
        calls.append(Call("DELETE", f"/Groups/{state.group_id}", expect=OK_DELETE))
    return calls


def _group_has(expected: Callable[[ServerRun], int]) -> Verify:
    """A check, outside the timings, that the group holds the expected number of members."""

    def verify(state: ServerRun) -> str | None:
        if state.group_id is None:
            return "no group was created"
        with state.server.target.session() as session:
            response = session.get(
                f"{state.server.target.base_url}/Groups/{state.group_id}", timeout=120
            )
        if response.status_code != 200:
            return f"GET group answered {response.status_code}"
        members = len(response.json().get("members", []))
        want = expected(state)
        return None if members == want else f"group holds {members} members, expected {want}"

    return verify


def _users_gone(state: ServerRun) -> str | None:
    with state.server.target.session() as session:
        response = session.get(f"{state.server.target.base_url}/Users?count=1", timeout=60)
    total = response.json().get("totalResults") if response.status_code == 200 else None
    return None if total == 0 else f"after delete all, /Users reports totalResults={total}"


PHASES: tuple[Phase, ...] = (
    Phase(CEILING_PHASE, (_ceiling,), ceiling=True),
    Phase(
        "create users",
        (_create_users,),
        throughput_target=SINGLE_USER_TARGET,
        cpu_target_ms=WRITE_CPU_MS,
    ),
    Phase(
        "PATCH manager (2nd pass)",
        (_set_managers,),
        throughput_target=SINGLE_USER_TARGET,
        cpu_target_ms=WRITE_CPU_MS,
    ),
    Phase(
        "filter userName eq",
        (_filter_user_name,),
        throughput_target=SINGLE_USER_TARGET,
        cpu_target_ms=READ_CPU_MS,
    ),
    Phase(
        "PATCH replace title",
        (_replace_title,),
        throughput_target=SINGLE_USER_TARGET,
        cpu_target_ms=WRITE_CPU_MS,
    ),
    Phase(
        "group: create + add all (100/PATCH)",
        (_create_group, _add_all_members),
        _group_has(lambda state: len(state.user_ids)),
        throughput_target=BULK_TARGET,
    ),
    Phase(
        "group: remove 1 member",
        (_remove_one_member,),
        _group_has(lambda state: len(state.user_ids) - len(_changed_members(state))),
        throughput_target=BULK_TARGET,
        cpu_target_ms=WRITE_CPU_MS,
    ),
    Phase(
        "group: add 1 member",
        (_add_one_member,),
        _group_has(lambda state: len(state.user_ids)),
        throughput_target=BULK_TARGET,
        cpu_target_ms=WRITE_CPU_MS,
    ),
    Phase(
        "GET group excl. members",
        (_read_group_without_members,),
        throughput_target=BULK_TARGET,
        cpu_target_ms=READ_CPU_MS,
    ),
    Phase("page /Users?count=100", (_page_users,), throughput_target=BULK_TARGET),
    Phase(
        "delete all",
        (_delete_all,),
        _users_gone,
        throughput_target=SINGLE_USER_TARGET,
        cpu_target_ms=WRITE_CPU_MS,
    ),
)


@dataclass(frozen=True)
class Limits:
    """The bounds of a run, and where to put profiles of which server (None: no profiles)."""

    concurrency: int
    phase_seconds: float
    phase_max_requests: int
    run_deadline: float  # a time.monotonic() instant
    profile_server: str | None = None
    profile_dir: Path | None = None


def run_workload(states: list[ServerRun], limits: Limits, log: Callable[[str], None]) -> None:
    """Run every phase on every server, interleaved; fill each state's `results`."""
    for phase in PHASES:
        for state in states:
            if phase.ceiling and state.server.name == SCIM2_SERVER_NAME:
                continue  # the ceiling is our application's own trivial route
            if time.monotonic() >= limits.run_deadline:
                state.notes.append(f"{phase.name}: skipped, the run's time cap was reached")
                continue
            result = _profiled_phase(phase, state, limits)
            state.results[phase.name] = result
            log(
                f"  {phase.name:<38} {state.server.name:<16} {result.requests:>6} req "
                f"{result.throughput:>8.1f} req/s {result.errors:>4} errors"
            )
            for sample in result.error_samples[:2]:
                log(f"    error: {sample}")
            if phase.verify is not None:
                problem = phase.verify(state)
                if problem is not None:
                    state.notes.append(f"{phase.name}: {problem}")
                    log(f"    check: {problem}")


def _profiled_phase(phase: Phase, state: ServerRun, limits: Limits) -> PhaseResult:
    if limits.profile_server != state.server.name or limits.profile_dir is None:
        return _run_phase(phase, state, limits)
    slug = re.sub(r"[^a-z0-9]+", "-", phase.name.lower()).strip("-")
    raw = limits.profile_dir / f"profile-{state.server.name}-{slug}.txt"
    recording = profiling.start(state.server.process.pid, raw)
    try:
        return _run_phase(phase, state, limits)
    finally:
        recording.finish()
        raw.with_suffix(".summary.txt").write_text(profiling.summarize(raw) + "\n")


def _run_phase(phase: Phase, state: ServerRun, limits: Limits) -> PhaseResult:
    deadline = min(time.monotonic() + limits.phase_seconds, limits.run_deadline)
    result = PhaseResult()
    budget = limits.phase_max_requests
    cpu_before = state.server.cpu_seconds()
    for step in phase.steps:
        calls = step(state)
        step_result = run_calls(
            state.server.target,
            calls,
            concurrency=limits.concurrency,
            deadline=deadline,
            max_requests=budget - result.requests,
        )
        result = result.merge(step_result)
        if step_result.capped:
            state.notes.append(f"{phase.name}: stopped at its cap after {result.requests} requests")
            break
    result.server_cpu = state.server.cpu_seconds() - cpu_before
    return result
