"""Disconnecting Microsoft 365: the organisation lets go of its Entra tenant.

An Administrator does it from Identity & Provisioning, after a confirmation page (the console's
`console.identity_page`); an operator with `kinabase-m365 org disconnect --org ID` (for an
organisation whose Administrators cannot sign in, or a tenant bound by mistake). Users, their
Colleague records and roles are kept; the organisation allows password sign-in instead of
Microsoft sign-in, and the tenant can then be connected to this or another organisation. Every
disconnection is logged with who did it.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from kinabase.organisations import Organisation, unbind_entra_tenant

log = logging.getLogger(__name__)


def disconnect_tenant(session: Session, organisation: Organisation, by: str) -> str | None:
    """Disconnect the organisation's tenant (the caller commits); returns the tenant id it had,
    None if none was connected. `by` says who, for the log."""
    tenant_id = unbind_entra_tenant(organisation)
    session.flush()
    if tenant_id is not None:
        log.warning(
            "organisation %s disconnected from Microsoft 365 tenant %s by %s",
            organisation.id,
            tenant_id,
            by,
        )
    return tenant_id
