"""Optional sampling profiles of a server under test, one per phase, with py-spy.

`python -m benchmarks workload --profile ours-sqlite` records each phase of that server with
`py-spy record --subprocesses --idle --nonblocking` (py-spy is not a dependency of the project:
`pip install py-spy`, and it needs ptrace rights over the server's processes) and writes, per
phase, the raw collapsed stacks and a summary: of the samples taken while a worker served a
request, the share that each function was on the stack for (inclusive), and the share that it
was the innermost frame (self). Idle samples are kept, so time spent waiting (for a database
lock, for PostgreSQL's answer) shows up, not only CPU time.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SERVING_FRAME = "handle_request"  # gunicorn's workers call the application from here
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*)\)$")


class ProfilerUnavailable(RuntimeError):
    """py-spy is not installed."""


@dataclass
class PhaseProfile:
    """A py-spy recording of one phase on one server."""

    raw_path: Path
    process: subprocess.Popen[bytes]

    def finish(self) -> None:
        """Stop recording; py-spy writes its file when interrupted."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def start(pid: int, raw_path: Path) -> PhaseProfile:
    """Record the process `pid` and its children until `finish`."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        raise ProfilerUnavailable("py-spy is not installed: pip install py-spy")
    process = subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--idle",
            "--nonblocking",
            "--nolineno",
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(raw_path),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=raw_path.with_suffix(".log").open("wb"),
    )
    return PhaseProfile(raw_path, process)


def _frame_name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    return f"{match['function']} ({match['file']})"


def summarize(raw_path: Path, top: int = 25) -> str:
    """The inclusive and self shares of the functions in samples taken while serving."""
    inclusive: Counter[str] = Counter()
    innermost: Counter[str] = Counter()
    serving = 0
    if not raw_path.exists():
        return f"no profile was written ({raw_path})"
    for line in raw_path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = [_frame_name(frame) for frame in stack.split(";")]
        if not any(SERVING_FRAME in frame for frame in frames):
            continue
        count = int(count_text)
        serving += count
        for name in set(frames):
            inclusive[name] += count
        innermost[frames[-1]] += count
    if not serving:
        return "no samples while serving a request"
    lines = [f"{serving} samples while serving requests", "", "inclusive  function"]
    lines += [f"{100 * n / serving:8.1f}%  {name}" for name, n in inclusive.most_common(top * 2)]
    lines += ["", "self       function"]
    lines += [f"{100 * n / serving:8.1f}%  {name}" for name, n in innermost.most_common(top)]
    return "\n".join(lines)
