"""The add-in API's request bodies, as marshmallow schemas (docs/outlook.md).

A body that does not load is a 400 whose `fields` name each wrong field by its JSON key. Unknown
keys are refused too (marshmallow's default), so a misspelt key is not silently ignored.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from kinabase.activities import MESSAGE_ID_LENGTH, SUBJECT_LENGTH
from kinabase.contacts import check_email, normalise_domain
from kinabase.errors import InvalidName

ROLES = ["from", "to", "cc", "bcc"]
KINDS = ["to", "cc", "bcc"]
MAX_ADDRESSES = 100
MAX_RECIPIENTS = 500
MAX_CONTENT = 1_000_000
NAME = validate.Length(max=400)


class EmailAddress(fields.String):
    """An email address (surrounding spaces dropped)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return check_email(text)
        except InvalidName:
            raise ValidationError("Not a valid email address.") from None


class Domain(fields.String):
    """A domain name, in lower case."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_domain(text)
        except InvalidName:
            raise ValidationError("Not a valid domain name.") from None


class LookupAddressSchema(Schema):
    """One address of the open email."""

    email = EmailAddress(required=True)
    name = fields.String(load_default="", validate=NAME)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class LookupSchema(Schema):
    """POST /outlook/api/lookup."""

    internet_message_id = fields.String(
        data_key="internetMessageId",
        load_default=None,
        validate=validate.Length(1, MESSAGE_ID_LENGTH),
    )
    addresses = fields.List(
        fields.Nested(LookupAddressSchema),
        required=True,
        validate=validate.Length(1, MAX_ADDRESSES),
    )


class ContactSchema(Schema):
    """POST /outlook/api/contacts."""

    name = fields.String(required=True, validate=validate.Length(1, 200))
    email = EmailAddress(required=True)
    organisation_id = fields.Integer(
        data_key="organisationId", load_default=None, strict=True, validate=validate.Range(min=1)
    )


class OrganisationSchema(Schema):
    """POST /outlook/api/organisations."""

    name = fields.String(required=True, validate=validate.Length(1, 200))
    domain = Domain(load_default=None)


class PersonSchema(Schema):
    """The sender of an email."""

    email = EmailAddress(required=True)
    name = fields.String(load_default="", validate=NAME)


class RecipientSchema(PersonSchema):
    """A recipient of an email."""

    kind = fields.String(load_default="to", validate=validate.OneOf(KINDS))


class LogEmailSchema(Schema):
    """POST /outlook/api/emails."""

    internet_message_id = fields.String(
        data_key="internetMessageId", required=True, validate=validate.Length(1, MESSAGE_ID_LENGTH)
    )
    subject = fields.String(load_default="", validate=validate.Length(max=SUBJECT_LENGTH))
    sender = fields.Nested(PersonSchema, required=True)
    recipients = fields.List(
        fields.Nested(RecipientSchema),
        load_default=list,
        validate=validate.Length(max=MAX_RECIPIENTS),
    )
    timestamp = fields.AwareDateTime(required=True)
    content = fields.String(load_default="", validate=validate.Length(max=MAX_CONTENT))
    record_ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1)),
        data_key="recordIds",
        load_default=None,
        validate=validate.Length(1, 100),
    )

    @validates("internet_message_id")
    def _one_line(self, value: str, **kwargs: Any) -> None:
        if value != value.strip() or any(ord(c) < 32 for c in value):
            raise ValidationError("A message id is one line without surrounding spaces.")


class ActivitiesQuerySchema(Schema):
    """GET /outlook/api/records/{id}/activities."""

    limit = fields.Integer(load_default=10, validate=validate.Range(1, 50))
