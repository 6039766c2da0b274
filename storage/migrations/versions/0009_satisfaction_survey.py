"""The customer's satisfaction with a resolution, and the survey sweep's index.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("satisfaction", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("satisfaction_comment", sa.Text(), nullable=True))
        batch.add_column(sa.Column("rated_at", UtcDateTime(), nullable=True))
    op.create_index("ix_cases_status_resolved_at", "cases", ["status", "resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_status_resolved_at", "cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("rated_at")
        batch.drop_column("satisfaction_comment")
        batch.drop_column("satisfaction")
