"""OAuth clients of provisioning services (client credentials grant)

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provisioning_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_provisioning_clients_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provisioning_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_provisioning_clients_client_id")),
    )
    with op.batch_alter_table("provisioning_clients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provisioning_clients_org_id"), ["org_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("provisioning_clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provisioning_clients_org_id"))
    op.drop_table("provisioning_clients")
