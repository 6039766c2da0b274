"""Dialogue state per customer, handled deliveries, and the reward-points ledger.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dialogues",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("key", sa.String(160), primary_key=True),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_deliveries_at", "deliveries", ["at"])
    op.create_table(
        "reward_entries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("customer_platform", sa.String(16), nullable=False),
        sa.Column("customer_user_id", sa.String(128), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("case_number", sa.String(32), sa.ForeignKey("cases.number"), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "ix_reward_entries_customer",
        "reward_entries",
        ["customer_platform", "customer_user_id", "id"],
    )
    op.create_index(
        "ux_reward_entries_case_reason",
        "reward_entries",
        ["case_number", "reason"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_table("reward_entries")
    op.drop_table("deliveries")
    op.drop_table("dialogues")
