"""Files of records, and the SharePoint library of each organisation

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sharepoint_site_id", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("sharepoint_drive_id", sa.String(length=300), nullable=True))
    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("quick_xor_hash", sa.String(length=28), nullable=True),
        sa.Column(
            "provider",
            sa.Enum(
                "builtin", "sharepoint", name="filestorageprovider", native_enum=False, length=30
            ),
            nullable=False,
        ),
        sa.Column("location", sa.String(length=1000), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_files_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_files_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_files_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
    )
    op.create_index(op.f("ix_files_org_id"), "files", ["org_id"], unique=False)
    op.create_index(op.f("ix_files_record_id"), "files", ["record_id"], unique=False)
    op.create_index(op.f("ix_files_location"), "files", ["location"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_files_location"), table_name="files")
    op.drop_index(op.f("ix_files_record_id"), table_name="files")
    op.drop_index(op.f("ix_files_org_id"), table_name="files")
    op.drop_table("files")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("sharepoint_drive_id")
        batch_op.drop_column("sharepoint_site_id")
