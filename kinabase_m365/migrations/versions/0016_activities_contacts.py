"""Activities of records, the Contacts and Organisations collections, addresses of records

Creates `activities` (unique per organisation, record and internetMessageId), `activity_files`,
`crm_collections` (which collections hold contacts and organisations), `record_addresses` (the
case-folded emails and domains of records, for matching) and `fields.target_collection_id`; then
gives every existing organisation the built-in Contacts and Organisations collections with their
fields, designated, as `kinabase.contacts.create_crm_collections` does for a new one.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As kinabase.contacts.DEFAULT_*_FIELDS at this revision: (key, name, type, is_system).
ORGANISATION_FIELDS = (
    ("name", "Name", "text", True),
    ("domains", "Domains", "domain", True),
    ("website", "Website", "text", False),
)
CONTACT_FIELDS = (
    ("name", "Name", "text", True),
    ("emails", "Emails", "email", True),
    ("phone", "Phone", "phone", False),
    ("jobTitle", "Job Title", "text", False),
    ("organisation", "Organisation", "linked_record", True),
)


def upgrade() -> None:
    with op.batch_alter_table("fields", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_collection_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_fields_target_collection_id_collections"),
            "collections",
            ["target_collection_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "crm_collections",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("contacts_collection_id", sa.Integer(), nullable=True),
        sa.Column("organisations_collection_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contacts_collection_id"],
            ["collections.id"],
            name=op.f("fk_crm_collections_contacts_collection_id_collections"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_crm_collections_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisations_collection_id"],
            ["collections.id"],
            name=op.f("fk_crm_collections_organisations_collection_id_collections"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_crm_collections")),
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "note",
                "email",
                "call",
                "meeting",
                name="activitytype",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=998), nullable=True),
        sa.Column("sender_email", sa.String(length=320), nullable=True),
        sa.Column("sender_name", sa.String(length=400), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=True),
        sa.Column("internet_message_id", sa.String(length=998), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_activities_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_activities_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_activities_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint(
            "org_id", "record_id", "internet_message_id", name="uq_activities_org_record_message"
        ),
    )
    op.create_index(op.f("ix_activities_author_id"), "activities", ["author_id"], unique=False)
    op.create_index(
        "ix_activities_org_message", "activities", ["org_id", "internet_message_id"], unique=False
    )
    op.create_index(
        "ix_activities_record_timestamp", "activities", ["record_id", "timestamp"], unique=False
    )
    op.create_table(
        "record_addresses",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_record_addresses_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_record_addresses_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_record_addresses_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "kind", "value", name=op.f("pk_record_addresses")),
    )
    op.create_index(
        "ix_record_addresses_lookup",
        "record_addresses",
        ["org_id", "kind", "value", "collection_id"],
        unique=False,
    )
    op.create_table(
        "activity_files",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_files_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["files.id"],
            name=op.f("fk_activity_files_file_id_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", "file_id", name=op.f("pk_activity_files")),
    )
    op.create_index(op.f("ix_activity_files_file_id"), "activity_files", ["file_id"], unique=False)
    _backfill_crm_collections()


def _backfill_crm_collections() -> None:
    """Every organisation without the built-in collections gets them, designated."""
    connection = op.get_bind()
    metadata = sa.MetaData()
    organisations = sa.Table("organisations", metadata, autoload_with=connection)
    collections = sa.Table("collections", metadata, autoload_with=connection)
    fields = sa.Table("fields", metadata, autoload_with=connection)
    settings = sa.Table("crm_collections", metadata, autoload_with=connection)
    now = sa.func.current_timestamp()
    for (org_id,) in connection.execute(sa.select(organisations.c.id)).all():
        created: dict[str, int] = {}
        for slug, name, defaults in (
            ("organisations", "Organisations", ORGANISATION_FIELDS),
            ("contacts", "Contacts", CONTACT_FIELDS),
        ):
            existing = connection.execute(
                sa.select(collections.c.id).where(
                    collections.c.org_id == org_id, collections.c.slug == slug
                )
            ).scalar()
            if existing is not None:  # an organisation's own collection of that name: left as is
                continue
            collection_id = connection.execute(
                collections.insert()
                .values(org_id=org_id, slug=slug, name=name, is_system=True, created_at=now)
                .returning(collections.c.id)
            ).scalar_one()
            created[slug] = collection_id
            connection.execute(
                fields.insert(),
                [
                    {
                        "collection_id": collection_id,
                        "key": key,
                        "name": field_name,
                        "type": type_,
                        "is_system": system,
                        "target_collection_id": (
                            created.get("organisations") if type_ == "linked_record" else None
                        ),
                    }
                    for key, field_name, type_, system in defaults
                ],
            )
        connection.execute(
            settings.insert().values(
                org_id=org_id,
                contacts_collection_id=created.get("contacts"),
                organisations_collection_id=created.get("organisations"),
            )
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_activity_files_file_id"), table_name="activity_files")
    op.drop_table("activity_files")
    op.drop_index("ix_record_addresses_lookup", table_name="record_addresses")
    op.drop_table("record_addresses")
    op.drop_index("ix_activities_record_timestamp", table_name="activities")
    op.drop_index("ix_activities_org_message", table_name="activities")
    op.drop_index(op.f("ix_activities_author_id"), table_name="activities")
    op.drop_table("activities")
    op.drop_table("crm_collections")
    # The built-in Contacts and Organisations collections stay: they are ordinary collections.
    with op.batch_alter_table("fields", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_fields_target_collection_id_collections"), type_="foreignkey"
        )
        batch_op.drop_column("target_collection_id")
