"""Profile photos: one per user and source, so an uploaded photo keeps the directory's beside it

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite cannot change a primary key in place: batch mode copies the table.
    with op.batch_alter_table("user_photos", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("pk_user_photos"), type_="primary")
        batch_op.create_primary_key(op.f("pk_user_photos"), ["user_id", "source"])


def downgrade() -> None:
    # One photo per user again: the uploaded one, as it was shown, wins.
    op.execute(
        "DELETE FROM user_photos WHERE source <> 'uploaded' AND user_id IN "
        "(SELECT user_id FROM user_photos WHERE source = 'uploaded')"
    )
    with op.batch_alter_table("user_photos", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("pk_user_photos"), type_="primary")
        batch_op.create_primary_key(op.f("pk_user_photos"), ["user_id"])
