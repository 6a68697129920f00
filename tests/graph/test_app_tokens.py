"""App-only tokens (client credentials) per tenant, through the Entra emulator: without
PUBLIC_BASE_URL, reused from each tenant's cache, and refused until the tenant has consented."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from graph.app_tokens import acquire_app_token
from graph.errors import NotConfigured, TokenRefused
from tests.emulators.keys import CERTIFICATE_PASSWORD, pooled_key, write_certificate
from tests.graph.conftest import CONSENT_REDIRECT, GRAPH, Directory, build_service


def test_each_tenant_gets_its_own_token_and_a_second_call_reuses_it(
    service: Flask, directory: Directory
) -> None:
    directory.consent(directory.contoso)
    directory.consent(directory.fabrikam)

    contoso = acquire_app_token(directory.contoso.tenant_id)
    again = acquire_app_token(directory.contoso.tenant_id.upper())
    fabrikam = acquire_app_token(directory.fabrikam.tenant_id)

    assert again == contoso and fabrikam != contoso
    requests = directory.token_requests()
    assert [tenant for tenant, _ in requests] == [
        directory.contoso.tenant_id,
        directory.fabrikam.tenant_id,
    ]
    form = requests[0][1]
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == f"{GRAPH}/.default"
    assert form["client_id"] == directory.registration.client_id
    # The token reads the tenant's directory in Graph, and only that tenant's.
    http = directory.microsoft.session
    bob = http.get(f"{GRAPH}/v1.0/users/bob@contoso.test", headers=_bearer(contoso))
    carol = http.get(f"{GRAPH}/v1.0/users/carol@fabrikam.test", headers=_bearer(contoso))
    assert bob.status_code == 200 and bob.json()["displayName"] == "Bob Builder"
    assert carol.status_code == 404


def test_a_tenant_without_consent_refuses_and_consent_works_at_once(
    service: Flask, directory: Directory
) -> None:
    tenant_id = directory.contoso.tenant_id
    with pytest.raises(TokenRefused) as refused:
        acquire_app_token(tenant_id)

    directory.consent(directory.contoso)
    token = acquire_app_token(tenant_id)

    assert refused.value.error == "unauthorized_client"
    assert "AADSTS7000229" in refused.value.message
    # msal would have answered the same refusal from its 60 s memory of 400s; Entra was asked.
    assert len(directory.token_requests()) == 2
    assert directory.microsoft.cloud.access_tokens[token].tenant_id == tenant_id


def test_a_wrong_client_secret_is_refused_with_entras_words(
    directory: Directory, tmp_path: Path
) -> None:
    directory.consent(directory.contoso)
    app = build_service(directory, tmp_path, microsoft_client_secret="not the secret")

    with app.app_context(), pytest.raises(TokenRefused) as refused:
        acquire_app_token(directory.contoso.tenant_id)

    assert refused.value.error == "invalid_client"
    assert "AADSTS7000215" in refused.value.message
    assert "not the secret" not in refused.value.message


def test_a_certificate_gets_app_only_tokens_too(directory: Directory, tmp_path: Path) -> None:
    key = pooled_key(5)
    directory.registration = directory.microsoft.cloud.register_app(
        [CONSENT_REDIRECT], certificate_key=key
    )
    directory.consent(directory.contoso)
    app = build_service(
        directory,
        tmp_path,
        microsoft_client_secret="",
        microsoft_client_certificate_path=str(write_certificate(tmp_path / "app.pfx", key)),
        microsoft_client_certificate_password=CERTIFICATE_PASSWORD,
    )

    with app.app_context():
        token = acquire_app_token(directory.contoso.tenant_id)

    grant = directory.microsoft.cloud.access_tokens[token]
    assert grant.client_id == directory.registration.client_id and grant.user is None
    ((_, form),) = directory.token_requests()
    assert "client_secret" not in form and form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == (
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    )


def test_app_only_tokens_need_an_app_registration_and_one_tenant(
    service: Flask, directory: Directory, tmp_path: Path
) -> None:
    for many in ("organizations", "common", ""):
        with pytest.raises(ValueError, match="one tenant"):
            acquire_app_token(many)
    bare = build_service(directory, tmp_path, microsoft_client_id="")
    with bare.app_context(), pytest.raises(NotConfigured, match="MICROSOFT_CLIENT_ID"):
        acquire_app_token(directory.contoso.tenant_id)
    assert directory.microsoft.requests == []


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
