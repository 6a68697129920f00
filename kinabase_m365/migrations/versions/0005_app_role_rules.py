"""Rules that give roles and user types to the holders of an Entra app role

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("group_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("app_role", sa.String(length=255), nullable=True))
        batch_op.create_index("ix_group_rules_org_app_role", ["org_id", "app_role"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("group_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_group_rules_org_app_role")
        batch_op.drop_column("app_role")
