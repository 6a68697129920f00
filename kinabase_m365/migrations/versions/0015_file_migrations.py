"""File moves of the migration between storage providers

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROVIDER = ("builtin", "sharepoint")


def _enum(name: str, values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=30)


def upgrade() -> None:
    op.create_table(
        "file_moves",
        sa.Column("file_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("state", _enum("movestate", ("copying", "copied", "switched")), nullable=False),
        sa.Column("source_provider", _enum("filestorageprovider", PROVIDER), nullable=False),
        sa.Column("source_location", sa.String(length=1000), nullable=False),
        sa.Column("target_provider", _enum("filestorageprovider", PROVIDER), nullable=False),
        sa.Column("target_drive_id", sa.String(length=300), nullable=True),
        sa.Column("target_location", sa.String(length=1000), nullable=True),
        sa.Column("target_quick_xor_hash", sa.String(length=28), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_file_moves_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_file_moves_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", name=op.f("pk_file_moves")),
    )
    op.create_index(op.f("ix_file_moves_job_id"), "file_moves", ["job_id"], unique=False)
    op.create_index(op.f("ix_file_moves_org_id"), "file_moves", ["org_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_file_moves_org_id"), table_name="file_moves")
    op.drop_index(op.f("ix_file_moves_job_id"), table_name="file_moves")
    op.drop_table("file_moves")
