"""Directory delta links (Sync's incremental reads) and key-order indexes for cursor paging

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory_delta_links",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("delta_link", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("org_id"),
    )
    op.create_index("ix_scim_users_org_pk", "scim_users", ["org_id", "pk"])
    op.create_index("ix_scim_groups_org_pk", "scim_groups", ["org_id", "pk"])


def downgrade() -> None:
    op.drop_index("ix_scim_groups_org_pk", table_name="scim_groups")
    op.drop_index("ix_scim_users_org_pk", table_name="scim_users")
    op.drop_table("directory_delta_links")
