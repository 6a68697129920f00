"""The SCIM resource store: provisioned users, their emails, groups and memberships

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _resource_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resource", JSON_DOCUMENT, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "scim_groups",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=True),
        *_resource_columns(),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_scim_groups_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_scim_groups")),
        sa.UniqueConstraint("id", name=op.f("uq_scim_groups_id")),
    )
    op.create_index("ix_scim_groups_org_external_id", "scim_groups", ["org_id", "external_id"])
    op.create_index(
        "uq_scim_groups_org_display_name",
        "scim_groups",
        ["org_id", sa.text("lower(display_name)")],
        unique=True,
    )
    op.create_table(
        "scim_users",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        *_resource_columns(),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["scim_users.pk"],
            name=op.f("fk_scim_users_manager_id_scim_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_scim_users_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_scim_users")),
        sa.UniqueConstraint("id", name=op.f("uq_scim_users_id")),
    )
    op.create_index(op.f("ix_scim_users_manager_id"), "scim_users", ["manager_id"])
    op.create_index("ix_scim_users_org_external_id", "scim_users", ["org_id", "external_id"])
    op.create_index(
        "ix_scim_users_org_display_name", "scim_users", ["org_id", sa.text("lower(display_name)")]
    )
    op.create_index(
        "uq_scim_users_org_user_name",
        "scim_users",
        ["org_id", sa.text("lower(user_name)")],
        unique=True,
    )
    op.create_table(
        "scim_group_members",
        sa.Column("group_pk", sa.Integer(), nullable=False),
        sa.Column("member_pk", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_pk"],
            ["scim_groups.pk"],
            name=op.f("fk_scim_group_members_group_pk_scim_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_pk"],
            ["scim_users.pk"],
            name=op.f("fk_scim_group_members_member_pk_scim_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_pk", "member_pk", name=op.f("pk_scim_group_members")),
    )
    op.create_index(op.f("ix_scim_group_members_member_pk"), "scim_group_members", ["member_pk"])
    op.create_table(
        "scim_user_values",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("attribute", sa.String(length=64), nullable=False),
        sa.Column("type", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_scim_user_values_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_pk"],
            ["scim_users.pk"],
            name=op.f("fk_scim_user_values_user_pk_scim_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_scim_user_values")),
    )
    op.create_index(op.f("ix_scim_user_values_user_pk"), "scim_user_values", ["user_pk"])
    op.create_index(
        "ix_scim_user_values_lookup",
        "scim_user_values",
        ["org_id", "attribute", sa.text("lower(value)")],
    )


def downgrade() -> None:
    op.drop_table("scim_user_values")
    op.drop_table("scim_group_members")
    op.drop_table("scim_users")
    op.drop_table("scim_groups")
