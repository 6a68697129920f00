"""RSA signing keys for the Entra emulator: JWKS publication and key rollover.

Microsoft signs id_tokens with RS256 and publishes the public keys at the `jwks_uri` of its
OpenID configuration; keys roll over, so a relying party that meets an unknown `kid` must fetch
the key set again (Microsoft identity platform, "Signing key rollover").
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

# Key generation takes tens of milliseconds; tests reuse a small pool of keys by index.
_KEY_POOL_SIZE = 8


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@cache
def _pooled_private_key(index: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class SigningKey:
    """An RSA key pair with its key id."""

    private_key: rsa.RSAPrivateKey

    @property
    def kid(self) -> str:
        """A thumbprint of the public key, as Entra's `kid`/`x5t` values are."""
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return _b64url(hashlib.sha1(der).digest())  # noqa: S324 - a key id, not a security hash

    @property
    def private_pem(self) -> bytes:
        """The private key in PEM, as PyJWT signs with it."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def jwk(self, issuer: str) -> dict[str, Any]:
        """The public key as Entra publishes it in its JWKS."""
        numbers = self.private_key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": _b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": _b64url(numbers.e.to_bytes(3, "big")),
            "issuer": issuer,
        }


def pooled_key(index: int) -> SigningKey:
    """One of a few keys generated once per test run."""
    return SigningKey(_pooled_private_key(index % _KEY_POOL_SIZE))


@dataclass
class KeyRing:
    """The keys Entra publishes; the newest one signs."""

    published: list[SigningKey] = field(default_factory=lambda: [pooled_key(0)])

    @property
    def signing_key(self) -> SigningKey:
        """The key that signs new tokens."""
        return self.published[-1]

    def roll_over(self, *, retire_old: bool = False) -> SigningKey:
        """Publish a new key and sign with it; optionally stop publishing the old ones."""
        used = {key.kid for key in self.published}
        index = 1
        while pooled_key(index).kid in used:
            index += 1
        new = pooled_key(index)
        self.published = [new] if retire_old else [*self.published, new]
        return new

    def jwks(self, issuer: str) -> dict[str, Any]:
        """The JSON Web Key Set document."""
        return {"keys": [key.jwk(issuer) for key in self.published]}


def foreign_key() -> SigningKey:
    """A key that Entra never published (an attacker's)."""
    return pooled_key(_KEY_POOL_SIZE - 1)


CERTIFICATE_PASSWORD = "pfx-pass"


def write_certificate(path: Path, key: SigningKey) -> Path:
    """A self-signed certificate and its key in a PFX file (password CERTIFICATE_PASSWORD), as
    Azure portals export them: what an app registration proves itself with instead of a secret."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kinabase-m365 test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key.private_key, hashes.SHA256())
    )
    pfx = pkcs12.serialize_key_and_certificates(
        b"kinabase",
        key.private_key,
        certificate,
        None,
        serialization.BestAvailableEncryption(CERTIFICATE_PASSWORD.encode()),
    )
    path.write_bytes(pfx)
    return path
