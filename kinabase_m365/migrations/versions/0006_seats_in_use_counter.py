"""Organisations count their seats in use

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("seats_in_use", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(
        "UPDATE organisations SET seats_in_use = (SELECT count(*) FROM users"
        " WHERE users.org_id = organisations.id AND users.status = 'active')"
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_organisations_seats_in_use_not_negative"), "seats_in_use >= 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_organisations_seats_in_use_not_negative"), type_="check")
        batch_op.drop_column("seats_in_use")
