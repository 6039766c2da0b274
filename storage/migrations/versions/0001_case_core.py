"""The case core: cases, their audit events and the case-number counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The audit trail is append-only: the database itself refuses to change or remove events.
_SQLITE_TRIGGERS = [
    """CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
       BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END""",
    """CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
       BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END""",
]
_PG_TRIGGERS = [
    """CREATE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'case_events is append-only'; END $$""",
    """CREATE TRIGGER case_events_no_change BEFORE UPDATE OR DELETE ON case_events
       FOR EACH ROW EXECUTE FUNCTION case_events_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("priority", sa.String(12), nullable=False),
        sa.Column("customer_platform", sa.String(16), nullable=False),
        sa.Column("customer_user_id", sa.String(128), nullable=False),
        sa.Column("contact_name", sa.String(128), nullable=True),
        sa.Column("contact_phone", sa.String(32), nullable=True),
        sa.Column("consent_at", UtcDateTime(), nullable=True),
        sa.Column("channel", sa.String(24), nullable=False),
        sa.Column("business_type", sa.String(24), nullable=False),
        sa.Column("cause", sa.String(24), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("branch", sa.String(128), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("desired_outcome", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("department", sa.String(64), nullable=True),
        sa.Column("assignee", sa.String(64), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("legal_due_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("extensions", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_cases_status_due_at", "cases", ["status", "due_at"])
    op.create_index(
        "ix_cases_department_status_due_at", "cases", ["department", "status", "due_at"]
    )
    op.create_index(
        "ix_cases_customer", "cases", ["customer_platform", "customer_user_id", "received_at"]
    )
    op.create_index("ix_cases_assignee_status", "cases", ["assignee", "status"])

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_number", sa.String(32), sa.ForeignKey("cases.number"), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_case_events_case_number_id", "case_events", ["case_number", "id"])

    op.create_table(
        "case_counters",
        sa.Column("prefix", sa.String(4), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )

    triggers = _PG_TRIGGERS if op.get_bind().dialect.name == "postgresql" else _SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER case_events_no_change ON case_events")
        op.execute("DROP FUNCTION case_events_append_only()")
    op.drop_table("case_counters")
    op.drop_table("case_events")
    op.drop_table("cases")
