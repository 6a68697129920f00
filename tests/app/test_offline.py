"""The suite cannot reach Microsoft, or anything else off this machine."""

from __future__ import annotations

import socket

import pytest
import requests

from tests.conftest import UnroutedHostError


@pytest.mark.parametrize(
    "url",
    ["https://login.microsoftonline.com/common/v2.0", "https://graph.microsoft.com/v1.0/users"],
)
def test_requests_to_microsoft_fail(url: str) -> None:
    with pytest.raises(UnroutedHostError):
        requests.get(url, timeout=5)


def test_connections_to_other_addresses_fail() -> None:
    with socket.socket() as sock, pytest.raises(UnroutedHostError):
        sock.connect(("192.0.2.1", 443))
