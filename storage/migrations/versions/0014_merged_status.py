"""Merged cases: the `merged` status of a repeated complaint joined to an earlier case.

The status is a plain string column, so upgrading changes no schema. Downgrading gives
merged cases a status the older code can read: withdrawn, final like merged, while
`merged_into` still names the case each one joined (the figures count them once).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_CASES = sa.table("cases", sa.column("status", sa.String))


def upgrade() -> None:
    pass  # no schema change: `merged` is a new value of `cases.status`


def downgrade() -> None:
    op.execute(_CASES.update().where(_CASES.c.status == "merged").values(status="withdrawn"))
