"""Load and scale benchmarks for the SCIM server (project issue 6).

`python -m benchmarks workload` runs the same Entra-shaped workload against this server (gunicorn,
several workers, on SQLite and on PostgreSQL) and against python-scim's scim2-server, phase by
phase in one run, and prints throughput and latency per phase with the ratio to scim2-server.
`python -m benchmarks scale` seeds 100,000 users and a 100,000-member group straight into the
database and times single operations against the same operations at 1,000 users.

Every server is started on its own loopback port and stopped by the harness; every phase is
bounded in request count and wall-clock time, and so is the whole run.
"""
