"""A bounded property-based fuzz run of /scim/v2 with schemathesis, against the published
OpenAPI description, over HTTP to `kinabase-m365 serve` on each engine.

schemathesis reads `/scim/v2/openapi.json` from the running service (with the CLI's bearer
token), generates requests for every operation from it (bodies, query parameters, ids), both
valid ones and ones that break the description (negative mode), and checks each answer: never
a 5xx, a status the description lists, the content type it lists, and a body that validates
against the published schema. The server must log no traceback.

Bounded: `FUZZ_EXAMPLES` examples per operation and mode (default 10), no shrinking, and a
time budget (`FUZZ_SECONDS`, default 40) after which the remaining operations run only their
first example. Generation is derandomized, so CI runs the same requests each time; a deeper
run locally is `FUZZ_EXAMPLES=200 FUZZ_SECONDS=600 pytest tests/conformance/test_openapi_fuzz.py`.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kinabase.database import make_engine
from tests.conformance.served import ServedService, serve_as_the_readme_says
from tests.conftest import empty_all_tables

pytestmark = pytest.mark.conformance

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
SECONDS = float(os.environ.get("FUZZ_SECONDS", "40"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedService]:
    """`kinabase-m365 serve` on the test database (no rate limit: the fuzzer is one client
    going as fast as it can); stopped, and the database emptied, after."""
    workdir = tmp_path_factory.mktemp("fuzzed")
    try:
        with serve_as_the_readme_says(database_url, workdir, {"SCIM_RATE_LIMIT": "off"}) as service:
            yield service
    finally:
        engine = make_engine(database_url)
        try:
            empty_all_tables(engine)
        finally:
            engine.dispose()


def test_no_server_error_and_no_answer_outside_the_published_schema(
    served: ServedService,
) -> None:
    auth = {"Authorization": f"Bearer {served.token}"}
    schema = schemathesis.openapi.from_url(f"{served.base_url}/openapi.json", headers=auth)
    deadline = time.monotonic() + SECONDS
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations = 0
    runs = [
        (result.ok(), mode)
        for result in schema.get_all_operations()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ]
    for operation, mode in runs:
        operations += mode is GenerationMode.POSITIVE
        examples = EXAMPLES if time.monotonic() < deadline else 1

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def exchange(case: schemathesis.Case) -> None:
            response = case.call(headers=auth, timeout=30)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS)

        try:
            exchange()
        except Exception as failure:  # every failure is reported below, together
            failures.append(f"{operation.label} ({mode.value}): {failure}")
    print(f"fuzzed in {time.monotonic() - deadline + SECONDS:.1f} s")
    print(f"{operations} operations, answers by status: {dict(sorted(statuses.items()))}")
    assert operations >= 20, "the description lists every operation"
    assert statuses[200] + statuses[201] + statuses[204] > operations, "some requests succeed"
    assert not failures, "\n\n".join(failures)
    assert "Traceback" not in served.log(), served.log()
