"""Microsoft's token signing keys, read from an OpenID configuration and cached.

Sign-in (`sso.id_token`, id_tokens) and the Outlook add-in's API (`outlook.tokens`, access
tokens) verify what Entra signed with the same keys: the JWKS named by the OpenID
configuration's `jwks_uri` (OpenID Connect Discovery 1.0 §3), fetched through the service's own
HTTP session (PyJWT's `PyJWKClient` would use urllib and bypass it). Keys are kept 24 hours; a
`kid` not among them fetches the set again (Microsoft identity platform, "Signing key
rollover"). Where tokens come from clients (the add-in's bearer tokens), that refetch happens at
most once a minute, so that made-up `kid`s cannot make the service hammer Microsoft; id_tokens
come from Microsoft's token endpoint itself, so sign-in refetches at once.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import jwt
import requests

KEYS_MAX_AGE_SECONDS = 24 * 3600
REFETCH_INTERVAL_SECONDS = 60.0


class KeysUnreadable(Exception):
    """Microsoft's OpenID configuration or its key set could not be read."""


class OpenIdKeys:
    """The issuer and signing keys of one OpenID configuration."""

    def __init__(self, configuration_url: str, *, throttle_unknown_kids: bool = True) -> None:
        self._configuration_url = configuration_url
        self._throttle = throttle_unknown_kids
        self._lock = threading.Lock()
        self._issuer = ""
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")

    def issuer_and_key(self, http: requests.Session, kid: str) -> tuple[str, jwt.PyJWK | None]:
        """The configuration's issuer (as written: it may hold `{tenantid}`) and the key `kid`
        names, or None when Microsoft does not list it; KeysUnreadable if a fetch fails."""
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if age > KEYS_MAX_AGE_SECONDS or (
                kid not in self._keys and (not self._throttle or age > REFETCH_INTERVAL_SECONDS)
            ):
                self._fetch(http)
            return self._issuer, self._keys.get(kid)

    def _fetch(self, http: requests.Session) -> None:
        try:
            configuration = _get_json(http, self._configuration_url)
            key_set = jwt.PyJWKSet.from_dict(_get_json(http, str(configuration["jwks_uri"])))
            issuer = str(configuration["issuer"])
        except (requests.RequestException, ValueError, KeyError, jwt.PyJWTError) as error:
            raise KeysUnreadable(f"{self._configuration_url}: {type(error).__name__}") from error
        self._issuer = issuer
        self._keys = {key.key_id: key for key in key_set.keys if key.key_id}
        self._fetched_at = time.monotonic()


def _get_json(http: requests.Session, url: str) -> dict[str, Any]:
    response = http.get(url, timeout=10)
    response.raise_for_status()
    document = response.json()
    if not isinstance(document, dict):
        raise ValueError(f"{url} is not a JSON object")
    return document
