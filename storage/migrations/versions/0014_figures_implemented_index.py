"""The figures read the suggestions implemented in a period by when they were implemented.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_implemented_at", "cases", ["implemented_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_implemented_at", "cases")
