"""Suggestions linked to a related one, and when an adopted one was implemented.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("linked_to", sa.String(32), nullable=True))
        batch.add_column(sa.Column("implemented_at", UtcDateTime(), nullable=True))
    op.create_index("ix_cases_linked_to", "cases", ["linked_to"])


def downgrade() -> None:
    op.drop_index("ix_cases_linked_to", "cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("implemented_at")
        batch.drop_column("linked_to")
