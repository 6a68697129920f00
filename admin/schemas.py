"""The admin APIs' requests and answers (Sync now's, File Storage's), as marshmallow schemas.

Requests are loaded (validated) by these; a wrong field is a 400 whose `fields` name it. Answers
are dumped by them, so the JSON's names (camelCase, as Graph and SCIM write them) are decided
here once.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from kinabase.organisations import FileStorageProvider
from kinabase.users import UserType

USER_TYPES = [member.value for member in UserType]
USER_TYPE_LABELS = {
    UserType.USER: "User",
    UserType.ADMINISTRATOR: "Administrator",
    UserType.BILLING_ADMINISTRATOR: "Billing Administrator",
}


class UserChoiceSchema(Schema):
    """A user type and roles for an imported user."""

    user_type = fields.String(
        data_key="userType", load_default=None, validate=validate.OneOf(USER_TYPES)
    )
    roles = fields.List(fields.String(validate=validate.Length(1, 200)), load_default=list)


class ChosenUserSchema(UserChoiceSchema):
    """One user to import: their object id or userPrincipalName, type and roles."""

    user = fields.String(required=True, validate=validate.Length(1, 320))


class ImportRequestSchema(UserChoiceSchema):
    """`users`, or `all`, or `group`; the type and roles at the top level apply to `all` and
    `group` imports."""

    users = fields.List(
        fields.Nested(ChosenUserSchema), load_default=list, validate=validate.Length(max=10_000)
    )
    all = fields.Boolean(load_default=False)
    group = fields.String(load_default=None, validate=validate.Length(1, 256))

    @validates_schema
    def one_selection(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Exactly one way of choosing users."""
        chosen = [bool(data.get("users")), bool(data.get("all")), bool(data.get("group"))]
        if sum(chosen) != 1:
            raise ValidationError("give exactly one of users, all and group", "users")


class CandidatesQuerySchema(Schema):
    """The candidates' query string."""

    search = fields.String(load_default=None, validate=validate.Length(max=200))
    group = fields.String(load_default=None, validate=validate.Length(max=256))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class GroupsQuerySchema(Schema):
    """The groups' query string."""

    search = fields.String(load_default=None, validate=validate.Length(max=200))


class GraphUserSchema(Schema):
    """A directory user as the dialog shows it."""

    id = fields.String()
    user_principal_name = fields.String(data_key="userPrincipalName")
    display_name = fields.String(data_key="displayName", allow_none=True)
    given_name = fields.String(data_key="givenName", allow_none=True)
    surname = fields.String(allow_none=True)
    mail = fields.String(allow_none=True)
    job_title = fields.String(data_key="jobTitle", allow_none=True)
    department = fields.String(allow_none=True)


class CandidatePageSchema(Schema):
    """A page of candidates."""

    users = fields.List(fields.Nested(GraphUserSchema))
    offset = fields.Integer()
    next_offset = fields.Integer(data_key="nextOffset", allow_none=True)


class GraphGroupSchema(Schema):
    """A security group."""

    id = fields.String()
    display_name = fields.String(data_key="displayName")
    description = fields.String(allow_none=True)


class JobItemSchema(Schema):
    """One user's outcome in a job."""

    key = fields.String(data_key="id")
    label = fields.String(data_key="userPrincipalName")
    outcome = fields.String()
    reason = fields.String(allow_none=True)


class JobSchema(Schema):
    """A job's status and progress."""

    id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    step = fields.String()
    done = fields.Integer()
    total = fields.Integer(allow_none=True)
    failed = fields.Integer()
    error = fields.String(allow_none=True)
    created_at = fields.DateTime(data_key="createdAt")
    finished_at = fields.DateTime(data_key="finishedAt", allow_none=True)
    items = fields.List(fields.Nested(JobItemSchema))


class StorageChoiceSchema(Schema):
    """The provider for new files; SharePoint with its site and document library."""

    provider = fields.String(
        required=True, validate=validate.OneOf([p.value for p in FileStorageProvider])
    )
    site_id = fields.String(data_key="siteId", load_default=None, validate=validate.Length(1, 300))
    library_id = fields.String(
        data_key="libraryId", load_default=None, validate=validate.Length(1, 300)
    )

    @validates_schema
    def sharepoint_needs_a_library(self, data: dict[str, Any], **kwargs: Any) -> None:
        """SharePoint needs both the site and the library."""
        if data["provider"] == FileStorageProvider.SHAREPOINT.value:
            missing = {
                key: ["SharePoint storage needs this."]
                for key, name in (("siteId", "site_id"), ("libraryId", "library_id"))
                if not data.get(name)
            }
            if missing:
                raise ValidationError(missing)


class SitesQuerySchema(Schema):
    """The site search: words of a site's name, or its address."""

    search = fields.String(load_default="", validate=validate.Length(max=300))


class LibrariesQuerySchema(Schema):
    """The site whose libraries are listed."""

    site = fields.String(required=True, validate=validate.Length(1, 300))


class SiteSchema(Schema):
    """A SharePoint site."""

    id = fields.String()
    name = fields.String()
    web_url = fields.String(data_key="webUrl", allow_none=True)


class LibrarySchema(SiteSchema):
    """A document library, with how many items its top level holds."""

    item_count = fields.Integer(data_key="itemCount")
    empty = fields.Boolean()


class MigrationItemSchema(Schema):
    """One file's outcome in a migration."""

    key = fields.String(data_key="fileId")
    label = fields.String(data_key="name")
    outcome = fields.String()
    reason = fields.String(allow_none=True)


class MigrationJobSchema(JobSchema):
    """A migration's status and progress, with each file's outcome."""

    items = fields.List(fields.Nested(MigrationItemSchema))


class StorageSchema(Schema):
    """Where new files go, where the files are, and the latest migration."""

    provider = fields.String()
    site_id = fields.String(data_key="siteId", allow_none=True)
    library_id = fields.String(data_key="libraryId", allow_none=True)
    connected = fields.Boolean()
    files_by_provider = fields.Dict(
        data_key="filesByProvider", keys=fields.String(), values=fields.Integer()
    )
    files_elsewhere = fields.Integer(data_key="filesElsewhere")
    migration = fields.Nested(MigrationJobSchema, allow_none=True)


class UserTypeSchema(Schema):
    """A user type the dialog offers: its value and the label people read."""

    value = fields.String()
    label = fields.String()


class RoleSchema(Schema):
    """A role of the organisation."""

    id = fields.Integer()
    name = fields.String()


class SeatsSchema(Schema):
    """The organisation's licence seats."""

    total = fields.Integer()
    in_use = fields.Integer(data_key="inUse")
    left = fields.Integer()


class ImportChoicesSchema(Schema):
    """What an import may give each user, and the seats left for them."""

    user_types = fields.List(fields.Nested(UserTypeSchema), data_key="userTypes")
    roles = fields.List(fields.Nested(RoleSchema))
    seats = fields.Nested(SeatsSchema)
