"""Forms of the console: marshmallow validation, and what a page needs to show the outcome.

A view reads a posted form with `read_form(schema)`: on success `form.data` holds the loaded
values; otherwise `form.errors` holds each field's messages, and the page is rendered again with
the values as sent and each message next to its field (the `field_errors` macro of
`console/forms.html`). Messages that belong to no field (marshmallow's `_schema`) are under
`FORM_ERRORS`. The CSRF value (`csrf_token`) is checked by the session guard before the view
runs, and is not a field of any schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields
from werkzeug.datastructures import MultiDict

FORM_ERRORS = "_schema"


@dataclass
class Form:
    """A posted form: what was sent, its loaded data (None when invalid) and the messages."""

    values: Mapping[str, Any] = field(default_factory=dict)
    data: dict[str, Any] | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """Whether the form loaded without errors."""
        return self.data is not None and not self.errors

    def error(self, name: str, message: str) -> None:
        """Add a message to a field (a refusal found after validation, by the service)."""
        self.errors.setdefault(name, []).append(message)
        self.data = None


def form_values(schema: Schema, source: MultiDict[str, str]) -> dict[str, Any]:
    """The schema's fields as sent: lists for `List` fields (checkboxes), else single values."""
    values: dict[str, Any] = {}
    for name, declared in schema.load_fields.items():
        key = declared.data_key or name
        if isinstance(declared, fields.List):
            values[key] = source.getlist(key)
        elif key in source:
            values[key] = source.get(key)
    return values


def flatten_messages(messages: Any) -> dict[str, list[str]]:
    """marshmallow's messages (a dict of lists, nested for nested fields) as field → list."""
    if not isinstance(messages, dict):
        return {FORM_ERRORS: [str(message) for message in _as_list(messages)]}
    flat: dict[str, list[str]] = {}
    for name, value in messages.items():
        if isinstance(value, dict):  # a List field's items, keyed by index
            flat[str(name)] = [
                str(message) for item in value.values() for message in _as_list(item)
            ]
        else:
            flat[str(name)] = [str(message) for message in _as_list(value)]
    return flat


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [message for item in value.values() for message in _as_list(item)]
    return list(value) if isinstance(value, list | tuple) else [value]


def read_form(schema: Schema, source: MultiDict[str, str] | None = None) -> Form:
    """Validate the request's form (or `source`) with `schema`; unknown fields are ignored."""
    values = form_values(schema, request.form if source is None else source)
    try:
        data = schema.load(values, unknown=EXCLUDE)
    except ValidationError as error:
        return Form(values=values, errors=flatten_messages(error.messages))
    return Form(values=values, data=data)
