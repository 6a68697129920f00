"""Sign in with Microsoft: flows in progress and revoked sessions

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "sign_in",
                "connect",
                "admin_consent",
                name="flowpurpose",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.String(length=36), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_sign_in_flows_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sign_in_flows_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_flows")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_sign_in_flows_key_hash")),
    )
    with op.batch_alter_table("sign_in_flows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_flows_expires_at"), ["expires_at"])
        batch_op.create_index(batch_op.f("ix_sign_in_flows_org_id"), ["org_id"])
        batch_op.create_index(batch_op.f("ix_sign_in_flows_user_id"), ["user_id"])

    op.create_table(
        "revoked_sessions",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_revoked_sessions")),
    )
    with op.batch_alter_table("revoked_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revoked_sessions_expires_at"), ["expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("revoked_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revoked_sessions_expires_at"))
    op.drop_table("revoked_sessions")
    with op.batch_alter_table("sign_in_flows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_flows_user_id"))
        batch_op.drop_index(batch_op.f("ix_sign_in_flows_org_id"))
        batch_op.drop_index(batch_op.f("ix_sign_in_flows_expires_at"))
    op.drop_table("sign_in_flows")
