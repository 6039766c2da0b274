"""Outbox messages keep the id of the request that queued them, for the logs; /metrics
counts the backlog and the failures per platform from an index of its own.

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: adding it rewrites no row on either database.
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("request_id", sa.String(128), nullable=True))
    # Without it SQLite reads the whole outbox for each scrape (it prefers an index in
    # the GROUP BY's order), and PostgreSQL visits a heap row per pending message.
    op.create_index(
        "ix_outbox_status_platform_created", "outbox", ["status", "platform", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_status_platform_created", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("request_id")
