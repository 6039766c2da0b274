"""Forgetting a customer: when it happened, and an audit trail that allows erasure only.

The trail stays append-only, with one exception PIPL needs: an event the customer
caused may have its actor set to 'customer:forgotten', its note to '[erased]' and its
details to '{}'. Its id, case, time, action and "before" can never change, no other
event can change at all, and nothing can be deleted.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ERASURE = """
    NEW.id = OLD.id AND NEW.case_number = OLD.case_number AND NEW.at = OLD.at
    AND NEW.action = OLD.action AND OLD.actor LIKE 'customer:%'
    AND NEW.actor = 'customer:forgotten' AND (NEW.note IS NULL OR NEW.note = '[erased]')
    AND NEW.before{cast} = OLD.before{cast}
    AND (NEW.after{cast} = OLD.after{cast} OR NEW.after{cast} = '{{}}')
"""

_SQLITE_UPDATE = """CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
    WHEN NOT ({erasure})
    BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END"""
_SQLITE_STRICT = """CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
    BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END"""

_PG_FUNCTION = """CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND ({erasure}) THEN RETURN NEW; END IF;
        RAISE EXCEPTION 'case_events is append-only';
    END $$"""
_PG_STRICT = """CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'case_events is append-only'; END $$"""


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("forgotten_at", UtcDateTime(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION.format(erasure=_ERASURE.format(cast="::text")))
    else:
        op.execute("DROP TRIGGER case_events_no_update")
        op.execute(_SQLITE_UPDATE.format(erasure=_ERASURE.format(cast="")))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_STRICT)
    else:
        op.execute("DROP TRIGGER case_events_no_update")
        op.execute(_SQLITE_STRICT)
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("forgotten_at")
