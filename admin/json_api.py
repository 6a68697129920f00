"""What the console's JSON APIs share: requests read through a marshmallow schema, and one
shape of error answer, `{"error": message, …}` with the status saying what went wrong.

- a request the schema refuses: 400, `fields` naming each field and what is wrong with it;
- not signed in as an Administrator, or no CSRF header: sign-in's own status (401 or 403);
- a domain refusal: 404 for what the organisation does not have, 400 for a setting that would
  leave it unusable, 409 for the rest (the state does not allow it now);
- Microsoft refusing the app (no consent, a permission missing): 409 with
  `consentRequired: true` and what the Administrator does; Microsoft failing otherwise: 502.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify
from marshmallow import Schema, ValidationError

from graph.errors import ConsentMissing, MicrosoftError, TokenRefused
from kinabase.errors import DomainError, InvalidSetting, NotFound
from sso.errors import SignInRefused

Answer = tuple[Response, int]


def load(schema: Schema, data: Any) -> dict[str, Any]:
    """The request's values as the schema loads them; an absent body or query is empty."""
    loaded: dict[str, Any] = schema.load(data if data is not None else {})
    return loaded


def error(status: int, message: str, **extra: Any) -> Answer:
    """An error answer: the message for the Administrator and any fields the page acts on."""
    return jsonify({"error": message, **extra}), status


def answer_errors(blueprint: Blueprint, explain: Callable[[Exception], str]) -> None:
    """Register the shared error answers on `blueprint`; `explain` words Microsoft's refusals
    for what the blueprint does. A blueprint registers its own, more precise errors beside
    these (Flask picks the handler of the nearest class)."""

    @blueprint.errorhandler(ValidationError)
    def _invalid(refusal: ValidationError) -> Answer:
        return error(400, "the request is not valid", fields=refusal.messages)

    @blueprint.errorhandler(SignInRefused)
    def _refused(refusal: SignInRefused) -> Answer:
        return error(refusal.status, refusal.message)

    @blueprint.errorhandler(DomainError)
    def _domain(refusal: DomainError) -> Answer:
        if isinstance(refusal, NotFound):
            return error(404, str(refusal))
        return error(400 if isinstance(refusal, InvalidSetting) else 409, str(refusal))

    @blueprint.errorhandler(MicrosoftError)
    def _microsoft(refusal: MicrosoftError) -> Answer:
        if isinstance(refusal, ConsentMissing | TokenRefused):
            return error(409, explain(refusal), consentRequired=True)
        return error(502, refusal.message)
