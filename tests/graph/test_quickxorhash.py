"""QuickXorHash against published vectors (rclone's onedrive/quickxorhash tests, which match
OneDrive's values), fed whole and in pieces of every awkward size."""

from __future__ import annotations

import base64
import os

import pytest

from graph.quickxorhash import QuickXorHash, quick_xor_hash
from tests.emulators.drives import reference_quick_xor_hash

# (content, quickXorHash), both base64.
VECTORS = [
    ("", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    ("Sg==", "SgAAAAAAAAAAAAAAAQAAAAAAAAA="),
    ("tbQ=", "taAFAAAAAAAAAAAAAgAAAAAAAAA="),
    ("0pZP", "0rDEEwAAAAAAAAAAAwAAAAAAAAA="),
    ("/aNzzCFPS/A=", "/RjFHJgRgicsAR4ACAAAAAAAAAA="),
    ("2fuxhBJXtpWFe8dOfdGeHw==", "O9tHLAghgSvYohKFyMMxnNCHaHg="),
    ("T6LYJIfDh81JrAK309H2JMJTXis=", "zBTHrspn3mEcohlJdIUAbjGNaNg="),
    ("DWAAX5/CIfrmErgZa8ot6ZraeSbu", "LR2Z0PjuRYGKQB/mhQAuMrAGZbQ="),
    (
        "jyibxJSzO6ZiZ0O1qe3tG/bvIAYssvukh9suIT5wEy1JBINVgPiqdsTW0cOpP0aUfP7mgqLfADkzI/m/GgCuVhr8"
        "oFLrOCoTx1/psBOWwhltCbhUx51Icm9aH8tY4Z3ccU+6BKpYQkLCy0B/A9Zc",
        "hZfLIilSITC6N3e3tQ/iSgEzkto=",
    ),
    (
        "PfxMcUd0vIW6VbHG/uj/Y0W6qEoKmyBD0nYebEKazKaKG+UaDqBEcmQjbfQeVnVLuodMoPp7P7TR1htX5n2Vnk"
        "Hh22xDyoJ8C/ZQKiSNqQfXvh83judf4RVr9exJCud8Uvgip6aVZTaPrJHVjQhMCp/dEnGvqg0oN5OVkM2qqAXv"
        "A0teKUDhgNM71sDBVBCGXxNOR2bpbD1iM4dnuT0ey4L+loXEHTL0fqMeUcEi2asgImnlNakwenDzz0x57aBwyq"
        "3AspCFGB1ncX4yYCr/OaCcS5OKi/00WH+wNQU3",
        "QX/YEpG0gDsmhEpCdWhsxDzsfVE=",
    ),
]


@pytest.mark.parametrize(("content", "expected"), VECTORS)
def test_the_published_vectors(content: str, expected: str) -> None:
    data = base64.b64decode(content)
    assert quick_xor_hash(data) == expected
    assert reference_quick_xor_hash(data) == expected  # the emulator's own, written apart


@pytest.mark.parametrize("piece", [1, 7, 159, 160, 161, 1000])
def test_pieces_of_any_size_give_the_same_hash(piece: int) -> None:
    data = os.urandom(5000)
    hasher = QuickXorHash()
    for start in range(0, len(data), piece):
        hasher.update(data[start : start + piece])
    assert hasher.b64digest() == quick_xor_hash(data) == reference_quick_xor_hash(data)
