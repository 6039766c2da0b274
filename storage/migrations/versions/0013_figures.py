"""What the figures need: the intake channel, the promised deadline, merged cases.

- `intake_channel` is where the feedback came in (wechat, telegram; later web, app,
  kiosk), apart from `channel`, the JR/T 0169 axis A. Existing cases came in on their
  customer's platform.
- `original_due_at` is the bank's deadline before any extension: the on-time figures
  compare with it. Existing cases get it from their trail: the deadline set by the
  latest filing, reopening or recount, unless an extension (`postponed`) came after it.
- `merged_into` names the earlier case a repeated complaint was merged into.
- Indexes on the moments a period's figures select by, and on the trail's actions by
  time (extensions and reopenings).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The actions whose "after" sets the promised deadline, and the one that moves only the
# deadline (an extension), as core.cases.case records them.
_PROMISES = ("filed", "reopened", "deadline_recounted")
_EXTENSION = "postponed"
_BATCH = 500

_INDEXES = (
    ("ix_cases_received_at", "received_at"),
    ("ix_cases_resolved_at", "resolved_at"),
    ("ix_cases_original_due_at", "original_due_at"),
    ("ix_cases_rated_at", "rated_at"),
    ("ix_cases_merged_into", "merged_into"),
)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.add_column("cases", sa.Column("intake_channel", sa.String(16), nullable=True))
        op.add_column("cases", sa.Column("original_due_at", UtcDateTime(), nullable=True))
    else:
        # SQLite makes a column NOT NULL only by copying the table, which foreign keys
        # from the trail refuse (see 0012); a new NOT NULL column needs a default, which
        # the UPDATE below replaces in every row.
        op.execute("ALTER TABLE cases ADD COLUMN intake_channel VARCHAR(16) NOT NULL DEFAULT ''")
        op.execute(
            "ALTER TABLE cases ADD COLUMN original_due_at DATETIME NOT NULL"
            " DEFAULT '1970-01-01 00:00:00.000000'"
        )
    op.add_column("cases", sa.Column("merged_into", sa.String(32), nullable=True))
    op.execute("UPDATE cases SET intake_channel = customer_platform, original_due_at = due_at")
    _promised_deadlines_of_extended_cases()
    if postgresql:
        op.alter_column("cases", "intake_channel", nullable=False)
        op.alter_column("cases", "original_due_at", nullable=False)
    for name, column in _INDEXES:
        op.create_index(name, "cases", [column])
    op.create_index("ix_case_events_action_at", "case_events", ["action", "at", "case_number"])


def _promised_deadlines_of_extended_cases() -> None:
    """Only extended cases have a promise other than their deadline: replay their trail
    (read in batches, as the trail may be long) the way the domain keeps it."""
    bind = op.get_bind()
    cases = sa.table("cases", sa.column("number"), sa.column("original_due_at", UtcDateTime()))
    after = ""
    while True:
        found = bind.execute(
            sa.text(
                "SELECT DISTINCT case_number FROM case_events WHERE action = :extension"
                " AND case_number > :after ORDER BY case_number LIMIT :batch"
            ),
            {"extension": _EXTENSION, "after": after, "batch": _BATCH},
        ).scalars()
        numbers = list(found)
        if not numbers:
            return
        events = bind.execute(
            sa.text(
                "SELECT case_number, action, before, after FROM case_events"
                " WHERE case_number IN :numbers ORDER BY case_number, id"
            ).bindparams(sa.bindparam("numbers", expanding=True)),
            {"numbers": numbers},
        )
        promised: dict[str, datetime] = {}
        for number, action, before, after_ in events:
            promise = _promise(action, _json(before), _json(after_), promised.get(number))
            if promise is not None:
                promised[number] = promise
        for number, promise in promised.items():
            bind.execute(
                cases.update().where(cases.c.number == number).values(original_due_at=promise)
            )
        after = numbers[-1]


def _promise(
    action: str, before: dict[str, Any], after: dict[str, Any], current: datetime | None
) -> datetime | None:
    """The promised deadline after one event of a case's trail."""
    due = after.get("due_at")
    if due is None:
        return current
    # As Case.recount_deadline: a recount moves the promise unless the deadline was
    # extended since.
    extended = "due_at" in before and current != datetime.fromisoformat(before["due_at"])
    if action == "deadline_recounted" and current is not None and extended:
        return current
    if action in _PROMISES:
        return datetime.fromisoformat(due)
    if action == _EXTENSION and current is None:
        # A trail without its filing deadline (never written so): the one extended.
        return datetime.fromisoformat(before["due_at"]) if "due_at" in before else None
    return current


def _json(value: Any) -> dict[str, Any]:
    """A JSON column as read by a plain text query: text, or already parsed."""
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def downgrade() -> None:
    op.drop_index("ix_case_events_action_at", "case_events")
    for name, _column in reversed(_INDEXES):
        op.drop_index(name, "cases")
    for column in ("merged_into", "original_due_at", "intake_channel"):
        op.drop_column("cases", column)
