"""Kinabase refusals as the SCIM errors that say why (RFC 7644 §3.12)."""

from __future__ import annotations

from kinabase.errors import DomainError, EmailInUse, LicenceExhausted
from scim_server.protocol.errors import Forbidden, InvalidValue, ScimError, Uniqueness


def scim_error_for(error: DomainError) -> ScimError:
    """A full licence allocation is 403 (the client may not add users); an email that another
    Kinabase user holds is 409 `uniqueness`; any other refusal is 400 `invalidValue`."""
    if isinstance(error, LicenceExhausted):
        return Forbidden(str(error))
    if isinstance(error, EmailInUse):
        return Uniqueness(str(error))
    return InvalidValue(str(error))
