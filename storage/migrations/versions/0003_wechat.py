"""WeChat: the shared access token, each conversation's push window, held pushes;
the response kept for each delivery so that redeliveries get the same answer.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("response", sa.Text(), nullable=True))
    op.create_table(
        "wechat_tokens",
        sa.Column("app_id", sa.String(64), primary_key=True),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("dialogues") as batch:
        batch.add_column(sa.Column("last_message_at", UtcDateTime(), nullable=True))
        batch.add_column(
            sa.Column("window_sends", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("subscribed", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("held", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "wechat_held_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("openid", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("case_number", sa.String(32), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
    )
    op.create_index(
        "ix_wechat_held_openid_delivered",
        "wechat_held_messages",
        ["openid", "delivered_at", "id"],
    )


def downgrade() -> None:
    op.drop_table("wechat_held_messages")
    with op.batch_alter_table("dialogues") as batch:
        for column in ("held", "subscribed", "window_sends", "last_message_at"):
            batch.drop_column(column)
    op.drop_table("wechat_tokens")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("response")
