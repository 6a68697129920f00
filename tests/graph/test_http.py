"""Graph's throttling, outages and expiring tokens in the middle of a page sequence (graph.http),
with the production retry code and a clock that steps instead of sleeping."""

from __future__ import annotations

from email.utils import formatdate

import pytest
from flask import Flask

from graph import http as graph_http
from graph.directory import iter_users, user_photo
from graph.errors import GraphRequestFailed, GraphUnavailable
from graph.http import retry_after
from tests.graph.conftest import Directory, SteppingClock

USERS = "/v1.0/users"


@pytest.fixture
def paged(directory: Directory, service: Flask) -> Directory:
    """Contoso with nine users served three a page (three pages), consented."""
    for n in range(7):
        directory.contoso.add_user(f"user{n}", f"User {n}")
    directory.microsoft.cloud.page_size = 3
    directory.consent(directory.contoso)
    return directory


def read_all(directory: Directory) -> list[str]:
    return [u.user_principal_name for u in iter_users(directory.contoso.tenant_id)]


def users_requests(directory: Directory) -> list[tuple[str, int]]:
    """Each request for a page of users: its URL and Graph's status."""
    return [(r.url, r.status) for r in directory.microsoft.requests_to(USERS)]


def test_429_with_retry_after_seconds_waits_then_asks_for_the_same_page(
    paged: Directory, clock: SteppingClock
) -> None:
    paged.microsoft.cloud.faults.graph_fault(USERS, 429, after=1, times=2, retry_after="2.128")

    users = read_all(paged)

    assert len(users) == 9 and len(set(users)) == 9
    assert clock.slept == [2.128, 2.128]
    requests = users_requests(paged)
    assert [status for _, status in requests] == [200, 429, 429, 200, 200]
    assert requests[1][0] == requests[2][0] == requests[3][0]  # the second page, retried


def test_429_with_an_http_date_waits_until_then(paged: Directory, clock: SteppingClock) -> None:
    later = formatdate(clock.now() + 7, usegmt=True)
    paged.microsoft.cloud.faults.graph_fault(USERS, 429, after=2, retry_after=later)

    assert len(read_all(paged)) == 9

    assert clock.slept == [7.0]
    assert [status for _, status in users_requests(paged)] == [200, 200, 429, 200]


def test_503_and_504_without_retry_after_back_off_exponentially_with_jitter(
    paged: Directory, clock: SteppingClock
) -> None:
    faults = paged.microsoft.cloud.faults
    faults.graph_fault(USERS, 503, after=1, times=2)
    faults.graph_fault(USERS, 504, after=4)  # the third page

    assert len(read_all(paged)) == 9

    first, second, third = clock.slept
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 2.0  # 1 s, then 2 s, each jittered
    assert 0.5 <= third <= 1.0  # each request counts its own failures


def test_a_dropped_connection_is_retried_like_an_outage(
    paged: Directory, clock: SteppingClock
) -> None:
    paged.microsoft.cloud.faults.drop_connection(USERS, after=2, times=2)

    assert len(read_all(paged)) == 9

    assert [status for _, status in users_requests(paged)] == [200, 200, 0, 0, 200]
    assert len(clock.slept) == 2 and 1.0 <= clock.slept[1] <= 2.0


def test_retries_give_up_after_the_maximum_number_of_attempts(
    paged: Directory, clock: SteppingClock
) -> None:
    paged.microsoft.cloud.faults.graph_fault(USERS, 429, after=1, times=100, retry_after="1")
    read: list[str] = []

    with pytest.raises(GraphUnavailable, match="HTTP 429") as failure:
        read.extend(u.user_principal_name for u in iter_users(paged.contoso.tenant_id))

    attempts = graph_http.RETRY.max_attempts
    assert f"after {attempts} attempts" in failure.value.message
    assert len(read) == 3  # the first page's users were yielded before
    assert len(users_requests(paged)) == 1 + attempts
    assert clock.slept == [1.0] * (attempts - 1)


def test_retries_give_up_rather_than_wait_beyond_the_time_limit(
    paged: Directory, clock: SteppingClock
) -> None:
    paged.microsoft.cloud.faults.graph_fault(USERS, 503, times=100, retry_after="100")

    with pytest.raises(GraphUnavailable, match="would exceed 120 s"):
        read_all(paged)

    assert clock.slept == [100.0]  # a second 100 s wait would end after the limit
    assert len(users_requests(paged)) == 2


def test_other_server_errors_are_unavailable_at_once(
    paged: Directory, clock: SteppingClock
) -> None:
    paged.microsoft.cloud.faults.graph_errors[USERS] = 500

    with pytest.raises(GraphUnavailable, match="500"):
        read_all(paged)

    assert clock.slept == [] and len(users_requests(paged)) == 1


def test_a_token_that_expires_mid_iteration_is_renewed_once(
    paged: Directory, clock: SteppingClock
) -> None:
    cloud = paged.microsoft.cloud
    cloud.faults.expire_token(USERS, after=1)

    assert len(read_all(paged)) == 9

    requests = paged.microsoft.requests_to(USERS)
    assert [r.status for r in requests] == [200, 401, 200, 200]
    tokens = [r.headers["Authorization"] for r in requests]
    assert tokens[0] == tokens[1] != tokens[2] == tokens[3]
    assert len(paged.token_requests()) == 2  # the cached token was not offered again
    assert clock.slept == []


def test_a_token_refused_again_after_renewal_is_an_error(
    paged: Directory, clock: SteppingClock
) -> None:
    paged.microsoft.cloud.faults.graph_fault(USERS, 401, times=2)

    with pytest.raises(GraphRequestFailed) as failure:
        read_all(paged)

    assert failure.value.status == 401 and failure.value.code == "InvalidAuthenticationToken"
    assert len(paged.token_requests()) == 2


def test_throttled_photos_are_retried_too(paged: Directory, clock: SteppingClock) -> None:
    bob = next(u for u in paged.contoso.users.values() if u.display_name == "Bob Builder")
    bob.photo = b"jpeg"
    path = f"/v1.0/users/{bob.object_id}/photo/$value"
    paged.microsoft.cloud.faults.graph_fault(path, 503, retry_after="3")

    assert user_photo(paged.contoso.tenant_id, bob.object_id) == b"jpeg"
    assert clock.slept == [3.0]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("2.128", 2.128),
        ("0", 0.0),
        ("-4", 0.0),
        ("Thu, 15 Jan 2027 08:00:10 GMT", 10.0),
        ("Thu, 15 Jan 2027 07:59:00 GMT", 0.0),  # already past
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(
    clock: SteppingClock, header: str | None, seconds: float | None
) -> None:
    clock.time = 1_800_000_000.0  # Fri, 15 Jan 2027 08:00:00 GMT
    assert retry_after(header) == seconds
