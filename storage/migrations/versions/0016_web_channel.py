"""The web channel: its conversations, what was sent to them, the files uploaded.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_conversations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
        sa.Column("emailed_at", UtcDateTime(), nullable=True),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
    )
    op.create_table(
        "web_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("source", sa.String(200), nullable=False, unique=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_web_messages_conversation_id", "web_messages", ["conversation", "id"])
    op.create_table(
        "web_attachments",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_web_attachments_conversation", "web_attachments", ["conversation"])


def downgrade() -> None:
    op.drop_index("ix_web_attachments_conversation", "web_attachments")
    op.drop_table("web_attachments")
    op.drop_index("ix_web_messages_conversation_id", "web_messages")
    op.drop_table("web_messages")
    op.drop_table("web_conversations")
