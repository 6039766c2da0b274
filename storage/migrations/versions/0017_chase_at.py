"""The scheduler's sweeps read only the cases whose next step may have come.

`cases.chase_at` is when the scheduler is to read a case next, with a partial index on
(status, chase_at, number) over the cases that have one.
Existing cases get a moment that is early for sure: an open case its receipt, a resolved
one its resolution. The exact next moment needs the working calendar, which a migration
does not have, so the first sweeps after the upgrade read these cases once, raise
whatever is due (the alert log keeps anything raised before from going out again) and
set each one's next moment. Cases that are over get none.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OPEN = ("new", "assigned", "in_progress", "waiting_for_customer", "reopened")


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("chase_at", UtcDateTime(), nullable=True))
    cases = sa.table(
        "cases",
        sa.column("status", sa.String()),
        sa.column("received_at", UtcDateTime()),
        sa.column("resolved_at", UtcDateTime()),
        sa.column("chase_at", UtcDateTime()),
    )
    op.execute(cases.update().where(cases.c.status.in_(OPEN)).values(chase_at=cases.c.received_at))
    op.execute(
        cases.update().where(cases.c.status == "resolved").values(chase_at=cases.c.resolved_at)
    )
    op.create_index(
        "ix_cases_chase_at",
        "cases",
        ["status", "chase_at", "number"],
        sqlite_where=sa.text("chase_at IS NOT NULL"),
        postgresql_where=sa.text("chase_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_cases_chase_at", "cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("chase_at")
