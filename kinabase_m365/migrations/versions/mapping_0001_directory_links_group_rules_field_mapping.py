"""The mapping layer: directory user links, group rules, user type grants, colleague field mapping

Revision ID: mapping_0001
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "mapping_0001"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_type() -> sa.Enum:
    return sa.Enum(
        "user",
        "billing_administrator",
        "administrator",
        name="usertype",
        native_enum=False,
        length=30,
    )


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("manual_user_type", _user_type(), nullable=True))

    op.create_table(
        "user_type_grants",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("user_type", _user_type(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_type_grants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "source", name=op.f("pk_user_type_grants")),
    )
    op.create_table(
        "directory_user_links",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("directory_id", sa.String(length=255), nullable=False),
        sa.Column("manager_directory_id", sa.String(length=255), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_directory_user_links_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_directory_user_links_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_directory_user_links")),
        sa.UniqueConstraint(
            "org_id", "directory_id", name="uq_directory_user_links_org_directory_id"
        ),
    )
    with op.batch_alter_table("directory_user_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_directory_user_links_org_manager", ["org_id", "manager_directory_id"], unique=False
        )

    op.create_table(
        "group_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("group_external_id", sa.String(length=255), nullable=True),
        sa.Column("group_display_name", sa.String(length=256), nullable=True),
        sa.Column("group_directory_id", sa.String(length=255), nullable=True),
        sa.Column("user_type", _user_type(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_group_rules_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_rules")),
    )
    with op.batch_alter_table("group_rules", schema=None) as batch_op:
        batch_op.create_index(
            "ix_group_rules_org_group", ["org_id", "group_directory_id"], unique=False
        )

    op.create_table(
        "group_rule_roles",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["roles.id"],
            name=op.f("fk_group_rule_roles_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["group_rules.id"],
            name=op.f("fk_group_rule_roles_rule_id_group_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rule_id", "role_id", name=op.f("pk_group_rule_roles")),
    )
    with op.batch_alter_table("group_rule_roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_rule_roles_role_id"), ["role_id"], unique=False)

    op.create_table(
        "colleague_field_mappings",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["fields.id"],
            name=op.f("fk_colleague_field_mappings_field_id_fields"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_colleague_field_mappings_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "field_id", name=op.f("pk_colleague_field_mappings")),
    )


def downgrade() -> None:
    op.drop_table("colleague_field_mappings")
    with op.batch_alter_table("group_rule_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_rule_roles_role_id"))

    op.drop_table("group_rule_roles")
    with op.batch_alter_table("group_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_group_rules_org_group")

    op.drop_table("group_rules")
    with op.batch_alter_table("directory_user_links", schema=None) as batch_op:
        batch_op.drop_index("ix_directory_user_links_org_manager")

    op.drop_table("directory_user_links")
    op.drop_table("user_type_grants")
    # SQLite (3.35+) drops the column in place: copying the table would lose the lower(email)
    # expression index, which batch mode cannot reflect.
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("manual_user_type")
