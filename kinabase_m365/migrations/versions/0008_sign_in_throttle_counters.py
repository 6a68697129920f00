"""Counters of failed password sign-ins, shared by every worker (sso/throttle.py)

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle_counters",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttle_counters")),
    )
    with op.batch_alter_table("sign_in_throttle_counters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_throttle_counters_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sign_in_throttle_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_throttle_counters_expires_at"))
    op.drop_table("sign_in_throttle_counters")
