"""The outbox, per-chat pacing, and the deadline alerts already sent.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("address", sa.String(128), nullable=False),
        sa.Column("to_customer", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("case_number", sa.String(32), nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("claimed_until", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_outbox_status_next_attempt", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_recipient", "outbox", ["platform", "address", "status", "id"])
    op.create_table(
        "chat_pacing",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("address", sa.String(128), primary_key=True),
        sa.Column("next_at", UtcDateTime(), nullable=False),
    )
    # The deadline sweep also asks for cases nearing their legal ceiling.
    op.create_index("ix_cases_status_legal_due_at", "cases", ["status", "legal_due_at"])
    op.create_table(
        "case_alerts",
        sa.Column("case_number", sa.String(32), sa.ForeignKey("cases.number"), primary_key=True),
        sa.Column("kind", sa.String(24), primary_key=True),
        sa.Column("deadline", UtcDateTime(), primary_key=True),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_alerts")
    op.drop_index("ix_cases_status_legal_due_at", "cases")
    op.drop_table("chat_pacing")
    op.drop_table("outbox")
