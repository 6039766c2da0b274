"""The figures read the suggestions implemented in a period by when they were implemented.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_implemented_at", "cases", ["implemented_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_implemented_at", "cases")
