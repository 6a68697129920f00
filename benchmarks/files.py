"""Upload and download one large file through the files API, in-process, and report memory
and throughput: `python -m benchmarks.files [--size-mb 200] [--provider builtin|sharepoint]`.

The file is generated on the fly (a repeating pseudo-random block), never held whole by the
benchmark. The service runs in this process on a fresh SQLite database, behind Flask's test
client with a signed-in session; the upload's body is a stream the API reads a chunk at a time,
the download is consumed chunk by chunk.

- `builtin`: the memory figure is the process's peak RSS growth (`ru_maxrss`) over the run.
- `sharepoint`: the Graph emulator (tests/emulators) keeps the whole file in memory, as a
  library would on disk, so RSS says nothing about the service. The figure is instead the
  largest tracemalloc total of the allocations not made by the emulator or its transport,
  sampled every 8 MiB of the upload and the download.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

BLOCK = hashlib.sha256(b"kinabase").digest() * (65_536 // 32)  # 64 KiB
PASSWORD = "benchmark password 1234"  # noqa: S105 - a throwaway database
SAMPLE_EVERY = 8 * 1024 * 1024


class GeneratedFile(io.RawIOBase):
    """`size` bytes made on the fly as they are read; seekable only so far as werkzeug's test
    client measures it (tell, seek to the end and back)."""

    def __init__(self, size: int, sample: Sampler) -> None:
        self.size = size
        self.position = 0
        self.sample = sample

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.size + offset if whence == 2 else offset
        return self.position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int | None = -1, /) -> bytes:
        size = -1 if size is None else size
        left = self.size - self.position
        size = left if size < 0 else min(size, left)
        start = self.position % len(BLOCK)
        repeated = BLOCK * (size // len(BLOCK) + 2)
        out = repeated[start : start + size]
        self.position += size
        self.sample.after(size)
        return out


def resident_bytes() -> int:
    """The process's resident set size now (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize()


class Sampler:
    """Samples memory every 8 MiB that go by: the resident set size, and with `traced` the
    largest tracemalloc total outside the emulators."""

    def __init__(self, *, traced: bool) -> None:
        self.traced = traced
        self.since = 0
        self.peak = 0
        self.top: list[str] = []
        self.rss_start = resident_bytes()
        self.rss_peak = self.rss_start

    def after(self, count: int) -> None:
        self.since += count
        if self.since >= SAMPLE_EVERY:
            self.since = 0
            self.rss_peak = max(self.rss_peak, resident_bytes())
            if self.traced:
                self.take()

    def take(self) -> None:
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, "*/tests/emulators/*")]
        )
        statistics = snapshot.statistics("filename")
        total = sum(stat.size for stat in statistics)
        if total > self.peak:
            self.peak = total
            self.top = [
                f"{stat.traceback[0].filename}: {stat.size >> 20} MiB" for stat in statistics[:3]
            ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.files")
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--provider", choices=["builtin", "sharepoint"], default="builtin")
    parser.add_argument(
        "--speed", action="store_true", help="sharepoint: no memory sampling (which slows it)"
    )
    args = parser.parse_args(argv)
    size = args.size_mb * 1024 * 1024
    with tempfile.TemporaryDirectory() as workdir:
        return run(Path(workdir), size, args.provider, sample=not args.speed)


def run(workdir: Path, size: int, provider: str, *, sample: bool) -> int:
    from kinabase_m365 import migrate  # noqa: PLC0415 - after argument parsing

    url = f"sqlite:///{workdir / 'bench.db'}"
    migrate.upgrade(url)
    traced = provider == "sharepoint" and sample
    if traced:
        tracemalloc.start()
    app, record_id = _service(url, workdir, provider)
    browser = _signed_in(app)
    sampler = Sampler(traced=traced)
    started = time.perf_counter()
    response = browser.post(
        f"/api/records/{record_id}/files",
        input_stream=GeneratedFile(size, sampler),
        content_length=size,
        headers={"X-File-Name": "large.bin"},
    )
    uploaded = time.perf_counter()
    assert response.status_code == 201, response.get_data(as_text=True)
    file_id = response.get_json()["id"]
    download = browser.get(f"/api/files/{file_id}", buffered=False)
    received = 0
    for chunk in download.response:
        received += len(chunk)
        sampler.after(len(chunk))
    download.close()
    downloaded = time.perf_counter()
    assert received == size
    mib = size / 1024 / 1024
    print(f"provider={provider} size={mib:.0f} MiB")
    print(f"upload   {uploaded - started:6.2f} s  {mib / (uploaded - started):7.1f} MiB/s")
    print(f"download {downloaded - uploaded:6.2f} s  {mib / (downloaded - uploaded):7.1f} MiB/s")
    start, growth = sampler.rss_start >> 20, (sampler.rss_peak - sampler.rss_start) / 2**20
    print(f"RSS {start} MiB at the start, at most {growth:.1f} MiB more during the run")
    if traced:
        print(f"peak traced memory outside the emulator {sampler.peak / 1024 / 1024:.1f} MiB")
        print("  largest at the peak: " + "; ".join(sampler.top))
    return 0


def _service(url: str, workdir: Path, provider: str) -> tuple[object, int]:
    from kinabase.accounts import create_organisation, create_user  # noqa: PLC0415
    from kinabase.colleagues import colleague_record  # noqa: PLC0415
    from kinabase.database import make_engine, make_sessionmakers  # noqa: PLC0415
    from kinabase.organisations import (  # noqa: PLC0415
        FileStorageProvider,
        bind_entra_tenant,
        set_file_storage,
    )
    from kinabase_m365.app import create_app  # noqa: PLC0415
    from sso.passwords import hash_password  # noqa: PLC0415

    settings: dict[str, object] = {
        "database_url": url,
        "environment": "test",
        "secret_key": "benchmark",
        "session_cookie_secure": False,
        "files_directory": str(workdir / "files"),
        "files_max_bytes": 1 << 40,
    }
    session_to_microsoft = None
    tenant_id, drive_id = None, None
    if provider == "sharepoint":
        from tests.emulators import emulate_microsoft  # noqa: PLC0415
        from tests.emulators.cloud import MicrosoftCloud  # noqa: PLC0415
        from tests.emulators.transport import transport_of  # noqa: PLC0415

        cloud = MicrosoftCloud()
        tenant = cloud.add_tenant("contoso.test")
        registration = cloud.register_app([])
        registration.application_permissions = frozenset({"Sites.ReadWrite.All"})
        cloud.grant_consent(tenant.tenant_id, registration.client_id)
        library = tenant.add_site("Kinabase").add_library("Documents")
        session_to_microsoft = emulate_microsoft(cloud).session
        transport_of(session_to_microsoft).record = False
        settings["microsoft_client_id"] = registration.client_id
        settings["microsoft_client_secret"] = registration.client_secret or ""
        tenant_id, drive_id = tenant.tenant_id, library.drive_id
    app = create_app(settings, http_session=session_to_microsoft)
    engine = make_engine(url)
    _, write = make_sessionmakers(engine)
    with write() as session:
        organisation = create_organisation(session, "Bench")
        user = create_user(session, organisation.id, "bench@bench.example", active=True)
        user.password_hash = hash_password(PASSWORD)
        if tenant_id is not None:
            bind_entra_tenant(session, organisation, tenant_id)
            set_file_storage(
                organisation,
                FileStorageProvider.SHAREPOINT,
                site_id="site",
                drive_id=drive_id,
            )
        record_id = colleague_record(session, organisation.id, user.id).id
        session.commit()
    engine.dispose()
    app.config["BENCH_ORG"] = organisation.id
    return app, record_id


def _signed_in(app: object) -> object:
    browser = app.test_client()  # type: ignore[attr-defined]
    form = {
        "org": str(app.config["BENCH_ORG"]),
        "email": "bench@bench.example",
        "password": PASSWORD,
    }  # type: ignore[attr-defined]
    assert browser.post("/login/password", data=form).status_code == 303
    browser.environ_base["HTTP_X_CSRF_TOKEN"] = browser.get_cookie("csrf_access_token").value
    return browser


if __name__ == "__main__":
    sys.exit(main())
