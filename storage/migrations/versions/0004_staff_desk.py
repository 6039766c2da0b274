"""The staff desk: departments with routing rules, staff, their chat identities,
one-time invitations; the decision on a suggestion.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("decision", sa.String(16), nullable=True))
    op.create_table(
        "departments",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("business_types", sa.JSON(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("alert_chat", sa.String(160), nullable=True),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("department", sa.String(64), sa.ForeignKey("departments.code"), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_staff_department", "staff", ["department"])
    op.create_table(
        "staff_identities",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("linked_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_staff_identities_staff_id", "staff_identities", ["staff_id"])
    op.create_table(
        "staff_invitations",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("department", sa.String(64), sa.ForeignKey("departments.code"), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("staff_invitations")
    op.drop_table("staff_identities")
    op.drop_table("staff")
    op.drop_table("departments")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("decision")
