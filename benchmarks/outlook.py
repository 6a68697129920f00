"""`python -m benchmarks.outlook`: the add-in API's lookup and email logging, timed.

Seeds a fresh database (SQLite in a temporary directory; PostgreSQL too with `--postgresql URL`)
with one organisation bound to an emulated tenant, N contacts at N/10 organisations' domains,
then calls the API through Flask's test client with access tokens the Entra emulator issues
(tests/emulators, in-process: Microsoft is never reached): `--rounds` lookups of 20 addresses
(the sender, 9 known contacts, 5 strangers at known domains, 5 free-mail addresses) and as many
email logs on the matched contacts. Prints the median and 95th percentile per request.

    python -m benchmarks.outlook --contacts 10000 --rounds 50
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from kinabase.accounts import create_organisation, create_user
from kinabase.contacts import create_contact, create_organisation_record
from kinabase.database import make_engine, make_sessionmakers
from kinabase.organisations import bind_entra_tenant
from kinabase_m365 import migrate
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from tests.emulators import emulate_microsoft
from tests.emulators.cloud import MicrosoftCloud
from tests.emulators.entra_tokens import mint_api_access_token


def _seed(url: str, contacts: int, tenant_id: str, object_id: str) -> None:
    engine = make_engine(url)
    _, write = make_sessionmakers(engine)
    with write() as session:
        organisation = create_organisation(session, "Bench")
        bind_entra_tenant(session, organisation, tenant_id)
        user = create_user(session, organisation.id, "grace@bench.test", active=True)
        user.entra_object_id = object_id
        domains = []
        for number in range(max(contacts // 10, 1)):
            domain = f"company{number}.example"
            domains.append(
                create_organisation_record(
                    session, organisation.id, name=f"Company {number}", domain=domain
                ).id
            )
        for number in range(contacts):
            create_contact(
                session,
                organisation.id,
                name=f"Person {number}",
                email=f"person{number}@company{number % len(domains)}.example",
                organisation_id=domains[number % len(domains)],
            )
        session.commit()
    engine.dispose()


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def run(url: str, contacts: int, rounds: int) -> None:
    """Seed `url` (migrated here) and time the lookups and logs."""
    cloud = MicrosoftCloud()
    tenant = cloud.add_tenant("bench.test")
    grace = tenant.add_user("grace", "Grace Bench")
    registration = cloud.register_app([])
    migrate.upgrade(url)
    started = time.perf_counter()
    _seed(url, contacts, tenant.tenant_id, grace.object_id)
    seeded = time.perf_counter() - started
    app = create_app(
        {
            "database_url": url,
            "environment": "test",
            "secret_key": "bench-secret-key",
            "log_level": "WARNING",
            "microsoft_client_id": registration.client_id,
            "microsoft_client_secret": registration.client_secret or "",
        },
        http_session=emulate_microsoft(cloud).session,
    )
    headers = {
        "Authorization": "Bearer "
        + mint_api_access_token(cloud, grace, registration.client_id, lifetime=86400)
    }
    client = app.test_client()
    statements = [0]

    def count(*_: object) -> None:
        statements[0] += 1

    event.listen(get_database(app).engine, "before_cursor_execute", count)
    lookups, logs = [], []
    lookup_statements, log_statements = [], []
    for round_ in range(rounds):
        companies = max(contacts // 10, 1)
        numbers = [(round_ * 9 + i) % contacts for i in range(10)]
        known = [f"person{n}@company{n % companies}.example" for n in numbers]
        strangers = [f"new{round_}-{i}@company{i}.example" for i in range(5)]
        free = [f"someone{round_}-{i}@gmail.com" for i in range(5)]
        addresses = [{"email": e, "role": "to"} for e in known + strangers + free]
        addresses[0]["role"] = "from"
        started = time.perf_counter()
        response = client.post(
            "/outlook/api/lookup", json={"addresses": addresses}, headers=headers
        )
        lookups.append(time.perf_counter() - started)
        lookup_statements.append(statements[0])
        assert response.status_code == 200, response.text
        body = {
            "internetMessageId": f"<bench-{round_}@bench.test>",
            "subject": "Bench",
            "sender": {"email": known[0]},
            "recipients": [{"email": e} for e in known[1:] + strangers + free],
            "timestamp": "2026-11-30T09:00:00Z",
            "content": "x" * 2000,
        }
        statements[0] = 0
        started = time.perf_counter()
        response = client.post("/outlook/api/emails", json=body, headers=headers)
        logs.append(time.perf_counter() - started)
        log_statements.append(statements[0])
        assert response.status_code == 201, response.text
    engine = url.split(":", 1)[0]
    print(f"{engine}: {contacts} contacts seeded in {seeded:.1f} s")
    print(
        f"  lookup of 20 addresses: {_percentiles(lookups)}, "
        f"{statistics.median(lookup_statements):.0f} SQL statements"
    )
    print(
        f"  log email on 10 contacts: {_percentiles(logs)}, "
        f"{statistics.median(log_statements):.0f} SQL statements"
    )


def main() -> None:
    """Parse the arguments and run on each database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--postgresql", help="an empty PostgreSQL database's URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        run(f"sqlite:///{Path(workdir) / 'outlook.db'}", args.contacts, args.rounds)
    if args.postgresql:
        run(args.postgresql, args.contacts, args.rounds)


if __name__ == "__main__":
    main()
