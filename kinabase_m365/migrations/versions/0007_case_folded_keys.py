"""Case-folded keys for userName, group displayName and Kinabase email uniqueness

One rule on both engines (docs/scim.md, "Case and Unicode"): NFC, Unicode case fold, NFC,
computed in Python and stored beside the value; the unique indexes move from lower(value) to the
folded key. Existing rows are backfilled. Two rows of one organisation whose values were distinct
under lower() but fold alike (`STRASSE` and `Straße`, NFC and NFD `é`) stop the upgrade with a
message that names them: one of the two must be renamed or removed first.

The key columns are nullable: SQLite adds a NOT NULL column only by rebuilding the table, and the
service always writes the key (store columns, the model's validator and insert default).

Revision ID: 0007
Revises: 0006
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table, key column, value column, folded column, unique index
FOLDED = (
    ("scim_users", "pk", "user_name", "user_name_folded", "uq_scim_users_org_user_name"),
    (
        "scim_groups",
        "pk",
        "display_name",
        "display_name_folded",
        "uq_scim_groups_org_display_name",
    ),
    ("users", "id", "email", "email_folded", "uq_users_org_email"),
)
BATCH = 1000


def fold_case(text: str) -> str:
    """The rule as of this revision (the service's own copy may evolve; this one must not)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())


def _backfill(table: str, key: str, value: str, folded: str) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text(f"SELECT {key}, {value} FROM {table}")).all()  # noqa: S608
    update = sa.text(f"UPDATE {table} SET {folded} = :folded WHERE {key} = :key")  # noqa: S608
    changes = [{"key": k, "folded": fold_case(v)} for k, v in rows if v is not None]
    for start in range(0, len(changes), BATCH):
        connection.execute(update, changes[start : start + BATCH])


def _refuse_clashes(table: str, value: str, folded: str) -> None:
    clashes = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT org_id, {folded} FROM {table} "  # noqa: S608
                f"GROUP BY org_id, {folded} HAVING count(*) > 1"
            )
        )
        .all()
    )
    if clashes:
        listed = ", ".join(f"organisation {org}: {key!r}" for org, key in clashes[:5])
        raise RuntimeError(
            f"{table}.{value}: {len(clashes)} value(s) are unique by lower() but not by case "
            f"folding and Unicode normalisation ({listed}); rename or remove one of each pair, "
            "then run the upgrade again"
        )


def upgrade() -> None:
    for table, key, value, folded, index in FOLDED:
        op.add_column(table, sa.Column(folded, sa.Text(), nullable=True))
        _backfill(table, key, value, folded)
        _refuse_clashes(table, value, folded)
        op.drop_index(index, table_name=table)
        op.create_index(index, table, ["org_id", folded], unique=True)


def downgrade() -> None:
    for table, _, value, folded, index in FOLDED:
        op.drop_index(index, table_name=table)
        op.create_index(index, table, ["org_id", sa.text(f"lower({value})")], unique=True)
        op.execute(f"ALTER TABLE {table} DROP COLUMN {folded}")
