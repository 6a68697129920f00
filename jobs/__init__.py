"""Background jobs on Huey: directory imports and syncs now, file migration and retention later.

The queue carries only job ids; everything else (request, status, progress, item outcomes) is
in the database (`jobs.models`), so a job survives its queue entry and its worker. Storage is
Huey's SQLite storage, a file under `instance/` (JOBS_SQLITE_PATH), unless REDIS_URL is set,
when several machines share Redis. `kinabase-m365 worker` runs the consumer.

`init_app(app, handlers)` wires it, with each job kind's handler; nothing happens at import, and
the Huey storage is opened on first use (enqueuing, or the worker).
"""

from __future__ import annotations

from jobs.queue import enqueue, init_app

__all__ = ["enqueue", "init_app"]
