"""Contact data encrypted at rest, outbox retention, erasure of stored replies.

The contact columns become TEXT: an encrypted value is longer than the 32 characters a
phone number needed. The outbox records when a payload was redacted, and delivery
records whom their stored reply answered; a partial index on each finds the rows that
still hold words.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_CONTACT = (("contact_name", 128), ("contact_phone", 32))


def _retype_contact(to_text: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column, length in _CONTACT:
            op.alter_column("cases", column, type_=sa.Text() if to_text else sa.String(length))
        return
    # SQLite would copy the whole table to change a column's type, and with foreign keys
    # on, dropping the old table is refused while events point at its cases. A new
    # column beside the old one needs no copy.
    for column, length in _CONTACT:
        new_type = "TEXT" if to_text else f"VARCHAR({length})"
        op.execute(f"ALTER TABLE cases RENAME COLUMN {column} TO {column}_old")
        op.execute(f"ALTER TABLE cases ADD COLUMN {column} {new_type}")
        op.execute(f"UPDATE cases SET {column} = {column}_old")  # noqa: S608 (names above)
        op.execute(f"ALTER TABLE cases DROP COLUMN {column}_old")


def upgrade() -> None:
    _retype_contact(to_text=True)
    # Pushes already moved into the outbox need no second copy of their words.
    op.execute("UPDATE wechat_held_messages SET text = '[erased]' WHERE delivered_at IS NOT NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("redacted_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("recipient", sa.String(160), nullable=True))
    op.create_index(
        "ix_outbox_unredacted",
        "outbox",
        ["sent_at"],
        sqlite_where=sa.text("redacted_at IS NULL"),
        postgresql_where=sa.text("redacted_at IS NULL"),
    )
    op.create_index(
        "ix_deliveries_kept_response",
        "deliveries",
        ["at"],
        sqlite_where=sa.text("response IS NOT NULL"),
        postgresql_where=sa.text("response IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_kept_response", "deliveries")
    op.drop_index("ix_outbox_unredacted", "outbox")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("recipient")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("redacted_at")
    _retype_contact(to_text=False)
