"""Keep how each deadline was counted, so a provisional one can be counted again.

A deadline counted through a year without official calendar data is provisional:
`due_provisional_year` names that year, and `due_counted_from` with `due_working_days`
let the service count it again once the year's data arrives. Cases filed before this
revision have no basis (they were never provisional: such filings were refused).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("due_counted_from", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("due_working_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("due_provisional_year", sa.Integer(), nullable=True))
    op.create_index("ix_cases_due_provisional_year", "cases", ["due_provisional_year"])


def downgrade() -> None:
    op.drop_index("ix_cases_due_provisional_year", "cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("due_provisional_year")
        batch.drop_column("due_working_days")
        batch.drop_column("due_counted_from")
