"""Gift vouchers bought with points, and a balance per customer kept beside the ledger.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reward_accounts",
        sa.Column("customer_platform", sa.String(16), primary_key=True),
        sa.Column("customer_user_id", sa.String(128), primary_key=True),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.CheckConstraint("balance >= 0", name="ck_reward_accounts_balance"),
    )
    # Until now the balance was the ledger's sum; from here on it is kept in step.
    op.execute(
        "INSERT INTO reward_accounts (customer_platform, customer_user_id, balance) "
        "SELECT customer_platform, customer_user_id, SUM(points) FROM reward_entries "
        "GROUP BY customer_platform, customer_user_id"
    )
    op.create_table(
        "vouchers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("stock >= 0", name="ck_vouchers_stock"),
    )
    op.create_table(
        "voucher_redemptions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("voucher_id", sa.Integer(), sa.ForeignKey("vouchers.id"), nullable=False),
        sa.Column("customer_platform", sa.String(16), nullable=False),
        sa.Column("customer_user_id", sa.String(128), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ux_voucher_redemptions_code", "voucher_redemptions", ["code"], unique=True)
    op.create_index(
        "ix_voucher_redemptions_customer",
        "voucher_redemptions",
        ["customer_platform", "customer_user_id", "id"],
    )
    with op.batch_alter_table("reward_entries") as batch:
        batch.add_column(sa.Column("redemption_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_reward_entries_redemption_id", "voucher_redemptions", ["redemption_id"], ["id"]
        )
    op.create_index(
        "ux_reward_entries_redemption", "reward_entries", ["redemption_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ux_reward_entries_redemption", "reward_entries")
    with op.batch_alter_table("reward_entries") as batch:
        batch.drop_constraint("fk_reward_entries_redemption_id", type_="foreignkey")
        batch.drop_column("redemption_id")
    op.drop_table("voucher_redemptions")
    op.drop_table("vouchers")
    op.drop_table("reward_accounts")
